/**
 * `@charmkit/ops/internal`: pieces of the SDK that the repository's own packages share (the local
 * runtime, the build tooling, the testing harness) but charms do not use: dispatch plumbing, the
 * environment and event parsers, the charm-metadata parser, unit state stores, cache file names,
 * the hook-tool backend contract and the multipart codec of Pebble's files API. No stability
 * promise and no API report: a change here is a change inside the repository.
 */
export type { HookTools, Pebble } from "./backend.js";
export {
  type DispatchOptions,
  type DispatchResult,
  flattenActionResults,
  reportUncaught,
  runDispatch,
} from "./charm.js";
export { DEFAULT_PEBBLE_SOCKET_DIR, JujuContext } from "./context.js";
export { eventKey, eventSubject, NON_DEFERRABLE, parseEvent } from "./events.js";
export { type CharmMetaSources, loadCharmMeta, parseCharmMeta } from "./metadata.js";
export { canonicalSecretId, LEADER_CACHE_MS, type ModelOptions } from "./model.js";
export {
  boundaryOf,
  decodeMultipart,
  encodeMultipart,
  MIN_BOUNDARY,
  multipartContentType,
  newBoundary,
  type Part,
  type PartInput,
} from "./pebble/multipart.js";
export { RELATION_CACHE_FILE, RELATION_CACHE_PENDING_FILE } from "./relation-view.js";
export {
  type DeferredNotice,
  emptyUnitState,
  FileStateStore,
  MemoryStateStore,
  STATE_FILE_NAME,
  type StateStore,
  type UnitState,
} from "./state.js";
