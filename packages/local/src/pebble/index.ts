/**
 * `@charmkit/local/pebble`: the Pebble-compatible server the local runtime runs for each
 * container of each unit, and the filesystem-view helpers it is built on.
 */
export { PEBBLE_VERSION, PebbleServer, type PebbleServerOptions } from "./server.js";
export { computeBinds, IsolationError, type Mount, SHARED_DIRS, toHostPath } from "./sandbox.js";
export { OKAY_DELAY_MS } from "./services.js";
