/**
 * `@charmkit/ops/pebble`: the Pebble client, the `Pebble` interface other implementations
 * (the testing harness, the local runtime) provide, the `Container` wrapper, layer logic, errors.
 */
export { PebbleClient, type PebbleClientOptions } from "./client.js";
export { Container } from "./container.js";
export * from "./errors.js";
export * from "./layer.js";
export * from "./types.js";
