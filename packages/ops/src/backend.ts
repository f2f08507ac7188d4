/**
 * The contract between the typed Model and Juju: one synchronous method per hook tool, returning
 * parsed values. Production uses `ProcessHookTools` (hookcmds/), which spawns the real
 * executables; the testing harness supplies an in-memory implementation of the same interface.
 *
 * Every method throws `HookCommandError` (or a subclass, see errors.ts) on failure.
 */

import type { Pebble } from "./pebble/types.js";

export type { Pebble };

/** Workload status names as Juju reports them. Only the first four can be set by a charm. */
export type StatusName = "active" | "blocked" | "maintenance" | "waiting" | "error" | "unknown";

/** The statuses a charm may set with `status-set`. */
export type SettableStatusName = "active" | "blocked" | "maintenance" | "waiting";

/** One status as read back with `status-get`. */
export interface StatusInfo {
  readonly status: StatusName;
  readonly message: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** Application status plus each unit's, as `status-get --application=true` returns them. */
export interface AppStatusInfo {
  readonly app: StatusInfo;
  readonly units: Readonly<Record<string, StatusInfo>>;
}

/** `juju-log` levels. */
export type LogLevel = "TRACE" | "DEBUG" | "INFO" | "WARNING" | "ERROR" | "CRITICAL";

/** One address of a bind interface in `network-get`. */
export interface NetworkAddress {
  readonly hostname: string;
  readonly value: string;
  readonly cidr: string;
}

/** One interface in `network-get`'s `bind-addresses`. */
export interface BindAddress {
  readonly interfaceName: string;
  readonly macAddress: string;
  readonly addresses: readonly NetworkAddress[];
}

/** Parsed `network-get` output. */
export interface NetworkInfo {
  readonly bindAddresses: readonly BindAddress[];
  readonly egressSubnets: readonly string[];
  readonly ingressAddresses: readonly string[];
}

/** A port or port range (`open-port 8080/tcp`, `8000-8999/udp`, `icmp`). */
export interface Port {
  readonly protocol: "tcp" | "udp" | "icmp";
  /** Absent for icmp. */
  readonly port?: number | undefined;
  /** Upper end of a range; absent for a single port. */
  readonly toPort?: number | undefined;
  /** Endpoints the port is opened for; absent means all. */
  readonly endpoints?: readonly string[] | undefined;
}

/** Parsed `storage-get` output. */
export interface StorageInfo {
  readonly kind: string;
  /** Path in the charm container. */
  readonly location: string;
}

/** Secret rotation policies accepted by `secret-add --rotate`. */
export type SecretRotatePolicy = "never" | "hourly" | "daily" | "weekly" | "monthly" | "quarterly" | "yearly";

/** Metadata fields common to `secret-add` and `secret-set`. */
export interface SecretFields {
  readonly label?: string | undefined;
  readonly description?: string | undefined;
  /** RFC 3339 time, a Go duration such as `24h`, or a Date. */
  readonly expire?: string | Date | undefined;
  readonly rotate?: SecretRotatePolicy | undefined;
}

/** Arguments of `secret-add`. */
export interface SecretAddArgs extends SecretFields {
  /** Content keys are lowercase; values are strings. Sent through temp files, never argv. */
  readonly content: Readonly<Record<string, string>>;
  readonly owner?: "application" | "unit" | undefined;
}

/** Arguments of `secret-set`. */
export interface SecretSetArgs extends SecretFields {
  readonly content?: Readonly<Record<string, string>> | undefined;
  readonly owner?: "application" | "unit" | undefined;
}

/** How to identify a secret: by id, by label, or both (id wins, label is then set). */
export interface SecretLookup {
  readonly id?: string | undefined;
  readonly label?: string | undefined;
}

/** Parsed `secret-info-get` output for one secret. */
export interface SecretInfo {
  readonly id: string;
  readonly revision: number;
  readonly label?: string | undefined;
  readonly description?: string | undefined;
  readonly expiry?: string | undefined;
  readonly rotation?: string | undefined;
  readonly rotates?: string | undefined;
}

/** Parsed `goal-state` output. */
export interface GoalState {
  readonly units: Readonly<Record<string, { readonly status: string; readonly since?: string }>>;
  readonly relations: Readonly<
    Record<string, Readonly<Record<string, { readonly status: string; readonly since?: string }>>>
  >;
}

/** A config value as `config-get` returns it. */
export type ConfigValue = string | number | boolean;

/**
 * One typed method per Juju hook tool. Relation ids are the integer after `endpoint:`; the
 * endpoint is passed alongside so the production backend can send `-r endpoint:id`, which lets
 * Juju check the id belongs to that endpoint.
 */
export interface HookTools {
  /** `relation-ids <endpoint>`: ids of the relations on an endpoint, ascending. */
  relationIds(endpoint: string): number[];
  /** `relation-list -r ep:id`: remote units currently in the relation. */
  relationList(relationId: number, endpoint: string): string[];
  /** `relation-list --app -r ep:id`: remote application name, if Juju still knows it. */
  relationRemoteApp(relationId: number, endpoint: string): string | undefined;
  /** `relation-get - <unitOrApp>` (with `--app` when `isApp`): the whole bag. */
  relationGet(
    relationId: number,
    endpoint: string,
    unitOrApp: string,
    isApp: boolean,
  ): Record<string, string>;
  /** `relation-set --file -`: merge `data` into the local unit (or app) bag; `""` deletes a key. */
  relationSet(
    relationId: number,
    endpoint: string,
    data: Readonly<Record<string, string>>,
    isApp: boolean,
  ): void;
  /** `relation-model-get`: the remote side's model uuid (cross-model relations). */
  relationModelGet(relationId: number, endpoint: string): { uuid: string };

  /** `config-get`: every option that is set or has a default. */
  configGet(): Record<string, ConfigValue>;
  /** `is-leader`. */
  isLeader(): boolean;
  /** `status-get`: this unit's status. */
  statusGet(app?: false): StatusInfo;
  /** `status-get --application=true`: the app status (leader only). */
  statusGet(app: true): AppStatusInfo;
  /** `status-set`. */
  statusSet(status: SettableStatusName, message: string, app?: boolean): void;
  /** `application-version-set`. */
  applicationVersionSet(version: string): void;
  /** `juju-log`. */
  jujuLog(level: LogLevel, message: string): void;

  /** `action-get`: the action's parameters (nested), defaults applied by Juju. */
  actionGet(): Record<string, unknown>;
  /** `action-set k=v ...` with already-flattened dotted keys. */
  actionSet(results: Readonly<Record<string, string>>): void;
  /** `action-log`. */
  actionLog(message: string): void;
  /** `action-fail`. */
  actionFail(message?: string): void;

  /** `network-get <binding> [-r id]`. */
  networkGet(binding: string, relationId?: number): NetworkInfo;
  /** `open-port`. */
  openPort(port: Port): void;
  /** `close-port`. */
  closePort(port: Port): void;
  /** `opened-ports`. */
  openedPorts(): Port[];

  /** `storage-list <name>`: ids such as `data/0`. */
  storageList(name: string): string[];
  /** `storage-get -s <id>`. */
  storageGet(storageId: string): StorageInfo;
  /** `storage-add name=count ...`. */
  storageAdd(counts: Readonly<Record<string, number>>): void;

  /** `secret-add`: returns the new secret's URI. */
  secretAdd(args: SecretAddArgs): string;
  /** `secret-get`: the secret content. */
  secretGet(lookup: SecretLookup, opts?: { refresh?: boolean; peek?: boolean }): Record<string, string>;
  /** `secret-info-get` (owner only). */
  secretInfoGet(lookup: SecretLookup): SecretInfo;
  /** `secret-set`. */
  secretSet(id: string, args: SecretSetArgs): void;
  /** `secret-grant --relation id [--unit u]`. */
  secretGrant(id: string, relationId: number, unit?: string): void;
  /** `secret-revoke --relation id [--unit u]`. */
  secretRevoke(id: string, relationId: number, unit?: string): void;
  /** `secret-remove [--revision N]`. */
  secretRemove(id: string, revision?: number): void;
  /** `secret-ids`. */
  secretIds(): string[];

  /** `state-get`: the unit's controller-side state (empty when nothing is stored). */
  stateGet(): Record<string, string>;
  /** `state-set --file -`. */
  stateSet(data: Readonly<Record<string, string>>): void;
  /** `state-delete <key>`. */
  stateDelete(key: string): void;
  /** `goal-state`. */
  goalState(): GoalState;

  /** A Pebble client for one workload container. */
  pebble(containerName: string): Pebble;
}
