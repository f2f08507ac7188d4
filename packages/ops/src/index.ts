/**
 * `@charmkit/ops`: what a charm is written with. The charm class and framework, typed events, the
 * Model (application, unit, config, relations, secrets, storage, networks, statuses), relation
 * views, metadata types, the error classes a charm may catch, and `main`, the dispatch entry.
 *
 * Subpaths: `./pebble` (the workload's Pebble client), `./testing` (state-in, event, state-out
 * tests), `./hookcmds` (the hook tools, typed), `./tracing`, `./main`. What the repository's own
 * packages share beyond that (dispatch plumbing, the metadata parser, state stores) lives under
 * `./internal`, which promises no stability. etc/api/ops.api.md is this surface's report.
 */
export type {
  AppStatusInfo,
  BindAddress,
  ConfigValue,
  GoalState,
  LogLevel,
  NetworkAddress,
  NetworkInfo,
  Port,
  SecretAddArgs,
  SecretFields,
  SecretInfo,
  SecretLookup,
  SecretRotatePolicy,
  SecretSetArgs,
  SettableStatusName,
  StatusInfo,
  StatusName,
  StorageInfo,
} from "./backend.js";
export {
  ActionEvent,
  CharmBase,
  type CharmClass,
  CollectStatusEvent,
  EventBase,
  type EventFor,
  Framework,
  type Handler,
  type Logger,
  type NameFor,
  type CharmNames,
  PebbleEvent,
  RelationEvent,
  SecretEvent,
  StorageEvent,
} from "./charm.js";
export * from "./errors.js";
export type {
  ActionEventData,
  CollectStatusEventData,
  CollectStatusKind,
  EventData,
  EventKind,
  LifecycleEventData,
  LifecycleKind,
  OtherEventData,
  PebbleCheckEventData,
  PebbleKind,
  PebbleNoticeEventData,
  PebbleReadyEventData,
  RelationEventData,
  RelationKind,
  SecretEventData,
  SecretKind,
  StorageEventData,
  StorageKind,
} from "./events.js";
export { main, type MainOptions } from "./main.js";
export type {
  ActionMeta,
  CharmMeta,
  ConfigOptionMeta,
  ConfigType,
  ContainerMeta,
  RelationMeta,
  RelationRole,
  StorageMeta,
} from "./metadata.js";
export {
  ActiveStatus,
  Application,
  BlockedStatus,
  Config,
  type ConfigLoadOptions,
  ErrorStatus,
  MaintenanceStatus,
  Model,
  Network,
  Relation,
  RelationDataBag,
  Secret,
  type Status,
  Storage,
  Unit,
  WaitingStatus,
} from "./model.js";
export { CachedRelation, type FullReadReason, RelationView, type ViewFreshness } from "./relation-view.js";
export type { Databag, LocalIdentity, RelationSnapshot } from "./snapshot.js";
export type { JsonValue } from "./state.js";
