/**
 * The immutable `State` of the state-transition harness and the small factories that build it.
 * A State is plain JSON-shaped data (deep-frozen), so it can be compared with `deepEqual`,
 * written as JSON (see STATE-FORMAT.md) and never shares mutable structure between runs.
 */
import type { ConfigValue, NetworkInfo, Port } from "../backend.js";
import type { Status } from "../model.js";
import type { LabeledLayer, Layer } from "../pebble/layer.js";
import { combinePlan } from "../pebble/layer.js";
import type { CheckInfo, Notice } from "../pebble/types.js";
import type { Databag } from "../snapshot.js";
import type { DeferredNotice, JsonValue } from "../state.js";

/** The three keys Juju pre-fills in every unit bag. */
export const DEFAULT_UNIT_DATA: Databag = Object.freeze({
  "egress-subnets": "192.0.2.0/32",
  "ingress-address": "192.0.2.0",
  "private-address": "192.0.2.0",
});

/** A non-peer relation as seen by the unit under test. */
export interface RelationState {
  readonly kind: "regular";
  readonly id: number;
  readonly endpoint: string;
  readonly remoteAppName: string;
  readonly localAppData: Databag;
  readonly localUnitData: Databag;
  readonly remoteAppData: Databag;
  /** Remote unit number (the N of `app/N`) to that unit's bag. */
  readonly remoteUnitsData: Readonly<Record<string, Databag>>;
  /** Remote model uuid, for cross-model relations. */
  readonly remoteModelUuid?: string | undefined;
}

/** A peer relation: the remote app is this app; `peersData` holds the *other* units' bags. */
export interface PeerRelationState {
  readonly kind: "peer";
  readonly id: number;
  readonly endpoint: string;
  readonly localAppData: Databag;
  readonly localUnitData: Databag;
  /** Other peer unit number to its bag. */
  readonly peersData: Readonly<Record<string, Databag>>;
}

/** Any relation in a State. */
export type AnyRelation = RelationState | PeerRelationState;

/** A mocked command for `exec`: the longest matching `command` prefix wins. */
export interface ExecMock {
  readonly command: readonly string[];
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Service states Pebble reports. */
export type ServiceStatus = "active" | "inactive" | "backoff" | "error";

/** A workload container and what its Pebble holds. */
export interface ContainerState {
  readonly name: string;
  /** When false, every Pebble call fails with `ConnectionError`. */
  readonly canConnect: boolean;
  /** Layers in the order Pebble keeps them. */
  readonly layers: readonly LabeledLayer[];
  readonly serviceStatuses: Readonly<Record<string, ServiceStatus>>;
  /** Absolute path to UTF-8 file contents. */
  readonly filesystem: Readonly<Record<string, string>>;
  /** Directories that exist even when empty (parents of files always exist). */
  readonly directories: readonly string[];
  readonly execs: readonly ExecMock[];
  readonly checks: readonly CheckInfo[];
  readonly notices: readonly Notice[];
}

/** One attached storage instance. */
export interface StorageState {
  readonly name: string;
  readonly index: number;
  /** Charm-container location; defaults to `/var/lib/juju/storage/<name>/<index>`. */
  readonly location: string;
  readonly kind: string;
}

/** A secret known to the unit: owned by it (`unit`/`app`) or granted to it (`null`). */
export interface SecretState {
  readonly id: string;
  readonly owner: "unit" | "app" | null;
  readonly label?: string | undefined;
  readonly description?: string | undefined;
  readonly expire?: string | undefined;
  readonly rotate?: string | undefined;
  readonly revision: number;
  /** The revision content this unit currently tracks. */
  readonly trackedContent: Readonly<Record<string, string>>;
  /** The newest revision's content. */
  readonly latestContent: Readonly<Record<string, string>>;
  /** Relation id to the app/unit names granted access. */
  readonly remoteGrants: Readonly<Record<string, readonly string[]>>;
}

/** The whole model as one unit sees it. */
export interface State {
  readonly config: Readonly<Record<string, ConfigValue>>;
  readonly leader: boolean;
  readonly model: { readonly name: string; readonly uuid: string; readonly type: "kubernetes" | "lxd" };
  readonly relations: readonly AnyRelation[];
  readonly containers: readonly ContainerState[];
  /** Binding name to its network; bindings not listed get the 192.0.2.0 default. */
  readonly networks: Readonly<Record<string, NetworkInfo>>;
  readonly storages: readonly StorageState[];
  readonly secrets: readonly SecretState[];
  readonly openedPorts: readonly Port[];
  /** Stored state per owner name. */
  readonly storedStates: Readonly<Record<string, Readonly<Record<string, JsonValue>>>>;
  /** Deferred notices (see `deferred()`), FIFO. */
  readonly deferred: readonly DeferredNotice[];
  readonly unitStatus: Status;
  readonly appStatus: Status;
  readonly workloadVersion: string;
  /** Controller-side unit state (`state-get/set`). */
  readonly controllerState: Readonly<Record<string, string>>;
  /** How many units the app is meant to have (`goal-state`). */
  readonly plannedUnits: number;
}

/** Recursively freezes a value (and returns it). */
export function deepFreeze<T>(v: T): T {
  if (v && typeof v === "object" && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as object)) deepFreeze(x);
  }
  return v;
}

let nextRelationId = 1;
let nextSecret = 1;

/** Builds a (frozen) State; every field has a default. Inputs are copied, never kept. */
export function state(init: Partial<State> = {}): State {
  return deepFreeze(
    structuredClone({
      config: init.config ?? {},
      leader: init.leader ?? false,
      model: init.model ?? {
        name: "test-model",
        uuid: "00000000-0000-4000-8000-000000000000",
        type: "kubernetes",
      },
      relations: init.relations ?? [],
      containers: init.containers ?? [],
      networks: init.networks ?? {},
      storages: init.storages ?? [],
      secrets: init.secrets ?? [],
      openedPorts: init.openedPorts ?? [],
      storedStates: init.storedStates ?? {},
      deferred: init.deferred ?? [],
      unitStatus: init.unitStatus ?? { name: "unknown", message: "" },
      appStatus: init.appStatus ?? { name: "unknown", message: "" },
      workloadVersion: init.workloadVersion ?? "",
      controllerState: init.controllerState ?? {},
      plannedUnits: init.plannedUnits ?? 1,
    } satisfies State),
  );
}

/** A non-peer relation; by default one remote unit `remote/0` with Juju's pre-filled keys. */
export function relation(
  init: { endpoint: string } & Partial<Omit<RelationState, "kind" | "endpoint">>,
): RelationState {
  return deepFreeze(
    structuredClone({
      kind: "regular" as const,
      id: init.id ?? nextRelationId++,
      endpoint: init.endpoint,
      remoteAppName: init.remoteAppName ?? "remote",
      localAppData: init.localAppData ?? {},
      localUnitData: init.localUnitData ?? DEFAULT_UNIT_DATA,
      remoteAppData: init.remoteAppData ?? {},
      remoteUnitsData: init.remoteUnitsData ?? { 0: DEFAULT_UNIT_DATA },
      ...(init.remoteModelUuid ? { remoteModelUuid: init.remoteModelUuid } : {}),
    }),
  );
}

/** A peer relation; by default no other peers. */
export function peerRelation(
  init: { endpoint: string } & Partial<Omit<PeerRelationState, "kind" | "endpoint">>,
): PeerRelationState {
  return deepFreeze(
    structuredClone({
      kind: "peer" as const,
      id: init.id ?? nextRelationId++,
      endpoint: init.endpoint,
      localAppData: init.localAppData ?? {},
      localUnitData: init.localUnitData ?? DEFAULT_UNIT_DATA,
      peersData: init.peersData ?? {},
    }),
  );
}

/** A container; Pebble unreachable unless `canConnect: true`. Layers may be given as a map. */
export function container(
  init: { name: string } & Partial<Omit<ContainerState, "name" | "layers">> & {
      layers?: readonly LabeledLayer[] | Readonly<Record<string, Layer>>;
    },
): ContainerState {
  const layers = Array.isArray(init.layers)
    ? init.layers
    : Object.entries(init.layers ?? {}).map(([label, layer]) => ({ label, layer }));
  return deepFreeze(
    structuredClone({
      name: init.name,
      canConnect: init.canConnect ?? false,
      layers,
      serviceStatuses: init.serviceStatuses ?? {},
      filesystem: init.filesystem ?? {},
      directories: init.directories ?? [],
      execs: (init.execs ?? []).map((e) => execMock(e)),
      checks: init.checks ?? [],
      notices: init.notices ?? [],
    }),
  );
}

/** An exec mock; exit code 0 and empty output by default. */
export function execMock(
  init: { command: readonly string[] } & Partial<Omit<ExecMock, "command">>,
): ExecMock {
  return {
    command: [...init.command],
    exitCode: init.exitCode ?? 0,
    stdout: init.stdout ?? "",
    stderr: init.stderr ?? "",
  };
}

/** An attached storage instance. */
export function storage(init: {
  name: string;
  index?: number;
  location?: string;
  kind?: string;
}): StorageState {
  const index = init.index ?? 0;
  return deepFreeze({
    name: init.name,
    index,
    location: init.location ?? `/var/lib/juju/storage/${init.name}/${index}`,
    kind: init.kind ?? "filesystem",
  });
}

/** A secret; `owner: null` (the default) means granted to this unit by someone else. */
export function secret(
  init: Partial<SecretState> & { trackedContent: Readonly<Record<string, string>> },
): SecretState {
  return deepFreeze(
    structuredClone({
      id: init.id ?? `secret:test${String(nextSecret++).padStart(16, "0")}`,
      owner: init.owner ?? null,
      ...(init.label !== undefined ? { label: init.label } : {}),
      ...(init.description !== undefined ? { description: init.description } : {}),
      ...(init.expire !== undefined ? { expire: init.expire } : {}),
      ...(init.rotate !== undefined ? { rotate: init.rotate } : {}),
      revision: init.revision ?? 1,
      trackedContent: init.trackedContent,
      latestContent: init.latestContent ?? init.trackedContent,
      remoteGrants: init.remoteGrants ?? {},
    }),
  );
}

/** A network for `network-get`, with one address. */
export function network(address = "192.0.2.0", init: Partial<NetworkInfo> = {}): NetworkInfo {
  return deepFreeze({
    bindAddresses: init.bindAddresses ?? [
      {
        interfaceName: "eth0",
        macAddress: "",
        addresses: [{ hostname: "", value: address, cidr: "192.0.2.0/24" }],
      },
    ],
    egressSubnets: init.egressSubnets ?? [`${address}/32`],
    ingressAddresses: init.ingressAddresses ?? [address],
  });
}

/** The relation with this id, or undefined. */
export function getRelation(s: State, id: number): AnyRelation | undefined {
  return s.relations.find((r) => r.id === id);
}

/** The container with this name, or undefined. */
export function getContainer(s: State, name: string): ContainerState | undefined {
  return s.containers.find((c) => c.name === name);
}

/** The stored state of one owner (the name passed to `framework.storedState`). */
export function getStoredState(s: State, name: string): Readonly<Record<string, JsonValue>> | undefined {
  return s.storedStates[name];
}

/** The secret with this id or label. */
export function getSecret(s: State, lookup: { id?: string; label?: string }): SecretState | undefined {
  return s.secrets.find((x) => (lookup.id !== undefined ? x.id === lookup.id : x.label === lookup.label));
}

/** The combined Pebble plan of a container. */
export function containerPlan(c: ContainerState): Layer {
  return combinePlan(c.layers);
}

/** Returns a copy of `s` with some fields replaced (the original is untouched). */
export function withState(s: State, changes: Partial<State>): State {
  return state({ ...structuredClone(s), ...structuredClone(changes) });
}
