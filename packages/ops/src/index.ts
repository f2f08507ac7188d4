/** Root export of the charm SDK: the core only. Subpaths: `./testing`, `./pebble`, `./hookcmds`, `./main`. */
export type * from "./backend.js";
export {
  ActionEvent,
  type BasicContainer,
  CharmBase,
  type CharmClass,
  CollectStatusEvent,
  type DispatchOptions,
  type DispatchResult,
  EventBase,
  type EventFor,
  Framework,
  flattenActionResults,
  type Handler,
  type Logger,
  PebbleEvent,
  RelationEvent,
  reportUncaught,
  runDispatch,
  SecretEvent,
  StorageEvent,
} from "./charm.js";
export { DEFAULT_PEBBLE_SOCKET_DIR, JujuContext } from "./context.js";
export * from "./errors.js";
export type * from "./events.js";
export { eventKey, NON_DEFERRABLE, parseEvent } from "./events.js";
export { main, type MainOptions } from "./main.js";
export * from "./metadata.js";
export {
  ActiveStatus,
  Application,
  BlockedStatus,
  canonicalSecretId,
  Config,
  type ContainerFactory,
  ErrorStatus,
  LEADER_CACHE_MS,
  MaintenanceStatus,
  Model,
  type ModelOptions,
  Network,
  Relation,
  RelationDataBag,
  Secret,
  type Status,
  Storage,
  Unit,
  WaitingStatus,
} from "./model.js";
export {
  CachedRelation,
  type FullReadReason,
  RELATION_CACHE_FILE,
  RELATION_CACHE_PENDING_FILE,
  RelationView,
  type ViewFreshness,
} from "./relation-view.js";
export type { Databag, LocalIdentity, RelationSnapshot } from "./snapshot.js";
export {
  type DeferredNotice,
  emptyUnitState,
  FileStateStore,
  type JsonValue,
  MemoryStateStore,
  STATE_FILE_NAME,
  type StateStore,
  type UnitState,
} from "./state.js";
