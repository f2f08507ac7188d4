/**
 * `@charmkit/ops/pebble`: the Pebble client, the `Pebble` interface other implementations
 * (the testing harness, the local runtime) provide, the `Container` wrapper, layer logic, errors.
 */
export * from "./errors.js";
export * from "./layer.js";
