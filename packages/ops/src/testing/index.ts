/**
 * `@charmkit/ops/testing`: state-transition testing. Build an immutable `State`, pick an event
 * from `ctx.on`, `await ctx.run(event, state)` and assert on the returned State and the
 * Context's records.
 */
export { ActionFailed, Context, type ContextOptions, UncaughtCharmError } from "./context.js";
export { findInconsistencies, InconsistentScenarioError } from "./consistency.js";
export { deferred, type EventFactory, type TestEvent } from "./events.js";
export {
  parseEventSpec,
  type RunCharmJsonOptions,
  type RunCharmJsonResult,
  runCharmJson,
  StateFormatError,
  type StateJson,
  stateFromJson,
  stateToJson,
} from "./json.js";
export type { ExecRecord } from "./pebble.js";
export * from "./state.js";
