/**
 * `ProcessHookTools`: the production `HookTools`, running Juju's hook-tool executables with
 * `spawnSync`. Argument building and output parsing live in one file per tool family.
 */

import type {
  AppStatusInfo,
  ConfigValue,
  GoalState,
  HookTools,
  LogLevel,
  NetworkInfo,
  Pebble,
  Port,
  SecretAddArgs,
  SecretInfo,
  SecretLookup,
  SecretSetArgs,
  SettableStatusName,
  StatusInfo,
  StorageInfo,
} from "../backend.js";
import * as action from "./action.js";
import * as network from "./network.js";
import * as relation from "./relation.js";
import { Runner, type SpawnFn } from "./run.js";
import * as secret from "./secret.js";
import * as state from "./state.js";
import * as storage from "./storage.js";
import * as unit from "./unit.js";

export { defaultSpawn, mapError, Runner, type SpawnFn, type SpawnResult } from "./run.js";
export { formatPort, parsePort } from "./network.js";

/** Options of `ProcessHookTools`. */
export interface ProcessHookToolsOptions {
  /** Process runner; defaults to `spawnSync`. Tests inject a recorder. */
  readonly spawn?: SpawnFn | undefined;
  /** Builds the Pebble client for a container; `main()` wires the real client. */
  readonly pebble?: ((containerName: string) => Pebble) | undefined;
}

/** `HookTools` backed by the real hook-tool executables on `PATH`. */
export class ProcessHookTools implements HookTools {
  private readonly run: Runner;
  private readonly pebbleFactory: ((containerName: string) => Pebble) | undefined;
  private readonly pebbles = new Map<string, Pebble>();

  constructor(options: ProcessHookToolsOptions = {}) {
    this.run = new Runner(options.spawn);
    this.pebbleFactory = options.pebble;
  }

  relationIds(endpoint: string): number[] {
    return relation.relationIds(this.run, endpoint);
  }
  relationList(relationId: number, endpoint: string): string[] {
    return relation.relationList(this.run, relationId, endpoint);
  }
  relationRemoteApp(relationId: number, endpoint: string): string | undefined {
    return relation.relationRemoteApp(this.run, relationId, endpoint);
  }
  relationGet(
    relationId: number,
    endpoint: string,
    unitOrApp: string,
    isApp: boolean,
  ): Record<string, string> {
    return relation.relationGet(this.run, relationId, endpoint, unitOrApp, isApp);
  }
  relationSet(
    relationId: number,
    endpoint: string,
    data: Readonly<Record<string, string>>,
    isApp: boolean,
  ): void {
    relation.relationSet(this.run, relationId, endpoint, data, isApp);
  }
  relationModelGet(relationId: number, endpoint: string): { uuid: string } {
    return relation.relationModelGet(this.run, relationId, endpoint);
  }

  configGet(): Record<string, ConfigValue> {
    return unit.configGet(this.run);
  }
  isLeader(): boolean {
    return unit.isLeader(this.run);
  }
  statusGet(app?: false): StatusInfo;
  statusGet(app: true): AppStatusInfo;
  statusGet(app = false): StatusInfo | AppStatusInfo {
    return unit.statusGet(this.run, app);
  }
  statusSet(status: SettableStatusName, message: string, app = false): void {
    unit.statusSet(this.run, status, message, app);
  }
  applicationVersionSet(version: string): void {
    unit.applicationVersionSet(this.run, version);
  }
  jujuLog(level: LogLevel, message: string): void {
    unit.jujuLog(this.run, level, message);
  }

  actionGet(): Record<string, unknown> {
    return action.actionGet(this.run);
  }
  actionSet(results: Readonly<Record<string, string>>): void {
    action.actionSet(this.run, results);
  }
  actionLog(message: string): void {
    action.actionLog(this.run, message);
  }
  actionFail(message?: string): void {
    action.actionFail(this.run, message);
  }

  networkGet(binding: string, relationId?: number): NetworkInfo {
    return network.networkGet(this.run, binding, relationId);
  }
  openPort(port: Port): void {
    network.openPort(this.run, port);
  }
  closePort(port: Port): void {
    network.closePort(this.run, port);
  }
  openedPorts(): Port[] {
    return network.openedPorts(this.run);
  }

  storageList(name: string): string[] {
    return storage.storageList(this.run, name);
  }
  storageGet(storageId: string): StorageInfo {
    return storage.storageGet(this.run, storageId);
  }
  storageAdd(counts: Readonly<Record<string, number>>): void {
    storage.storageAdd(this.run, counts);
  }

  secretAdd(args: SecretAddArgs): string {
    return secret.secretAdd(this.run, args);
  }
  secretGet(lookup: SecretLookup, opts?: { refresh?: boolean; peek?: boolean }): Record<string, string> {
    return secret.secretGet(this.run, lookup, opts);
  }
  secretInfoGet(lookup: SecretLookup): SecretInfo {
    return secret.secretInfoGet(this.run, lookup);
  }
  secretSet(id: string, args: SecretSetArgs): void {
    secret.secretSet(this.run, id, args);
  }
  secretGrant(id: string, relationId: number, unitName?: string): void {
    secret.secretGrant(this.run, id, relationId, unitName);
  }
  secretRevoke(id: string, relationId: number, unitName?: string): void {
    secret.secretRevoke(this.run, id, relationId, unitName);
  }
  secretRemove(id: string, revision?: number): void {
    secret.secretRemove(this.run, id, revision);
  }
  secretIds(): string[] {
    return secret.secretIds(this.run);
  }

  stateGet(): Record<string, string> {
    return state.stateGet(this.run);
  }
  stateSet(data: Readonly<Record<string, string>>): void {
    state.stateSet(this.run, data);
  }
  stateDelete(key: string): void {
    state.stateDelete(this.run, key);
  }
  goalState(): GoalState {
    return state.goalState(this.run);
  }

  pebble(containerName: string): Pebble {
    let p = this.pebbles.get(containerName);
    if (!p) {
      if (!this.pebbleFactory)
        throw new Error(`no Pebble client configured for container "${containerName}"`);
      p = this.pebbleFactory(containerName);
      this.pebbles.set(containerName, p);
    }
    return p;
  }
}
