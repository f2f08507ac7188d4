/**
 * `main(Charm)`: the production entry point a bundled charm's `dispatch` runs. It wires the real
 * pieces (context from the environment, metadata from the charm dir or embedded at build time,
 * hook tools on PATH, Pebble sockets, the state file) into `runDispatch`, and turns an uncaught
 * error into juju-log + stderr + exit code 1.
 */

import { join } from "node:path";
import type { HookTools, Pebble } from "./backend.js";
import { type CharmClass, reportUncaught, runDispatch } from "./charm.js";
import { DEFAULT_PEBBLE_SOCKET_DIR, JujuContext } from "./context.js";
import { ProcessHookTools } from "./hookcmds/index.js";
import { type CharmMeta, loadCharmMeta, parseCharmMeta, type CharmMetaSources } from "./metadata.js";
import { FileStateStore, STATE_FILE_NAME } from "./state.js";
import { CharmTracing } from "./tracing/index.js";

/** Options of `main`. */
export interface MainOptions {
  /** Metadata embedded by `bundleCharm` (skips YAML parsing at run time). */
  readonly metadata?: CharmMeta | CharmMetaSources | undefined;
  /** Builds the Pebble client for a socket path; defaults to a lazily loaded `PebbleClient`. */
  readonly pebble?: ((socketPath: string) => Pebble) | undefined;
  /** The charm class's source name (a minified bundle renames it), for tracing's `charm_type`. */
  readonly charmType?: string | undefined;
}

function isMeta(m: CharmMeta | CharmMetaSources): m is CharmMeta {
  return "relations" in m && "containers" in m && "config" in m && !("metadata" in m);
}

/**
 * A `Pebble` whose real client (with its HTTP, websocket and YAML dependencies) is loaded on the
 * first call, so hooks that never talk to Pebble (update-status, most relation hooks) do not pay
 * for it. Every `Pebble` method is async, so the indirection is invisible to callers.
 */
export function lazyPebbleClient(socketPath: string): Pebble {
  let client: Promise<Pebble> | undefined;
  const load = () => {
    client ??= import("./pebble/client.js").then((m) => new m.PebbleClient({ socketPath }));
    return client;
  };
  return new Proxy({} as Pebble, {
    get(_target, prop) {
      // Not a thenable: `await container.pebble` must not call into the client.
      if (prop === "then" || typeof prop === "symbol") return undefined;
      return async (...args: unknown[]) => {
        const c = (await load()) as unknown as Record<string, (...a: unknown[]) => unknown>;
        const fn = c[prop];
        if (typeof fn !== "function") throw new TypeError(`Pebble has no method "${prop}"`);
        return fn.apply(c, args);
      };
    },
  });
}

/** Run the dispatch described by `process.env` with the given charm class. */
export async function main(charmClass: CharmClass, options: MainOptions = {}): Promise<void> {
  let backend: HookTools | undefined;
  let tracing: CharmTracing | undefined;
  let failure: unknown;
  try {
    const context = JujuContext.fromEnv(process.env, process.argv[1]);
    const pebbleFactory = options.pebble ?? lazyPebbleClient;
    const m = options.metadata;
    const metadata =
      m === undefined ? await loadCharmMeta(context.charmDir) : isMeta(m) ? m : parseCharmMeta(m);
    // One trace per dispatch, kept and sent from the charm directory (see tracing/).
    tracing = new CharmTracing({
      rootName: context.hookName || context.dispatchPath,
      stateDir: context.charmDir,
      resource: {
        modelName: context.modelName,
        modelUuid: context.modelUuid,
        unitName: context.unitName,
        charmName: metadata.name,
        charmType: options.charmType ?? charmClass.name,
      },
    });
    backend = tracing.wrapBackend(
      new ProcessHookTools({
        pebble: (name) => pebbleFactory(join(DEFAULT_PEBBLE_SOCKET_DIR, name, "pebble.socket")),
      }),
    );
    await runDispatch({
      charmClass,
      context,
      metadata,
      backend,
      store: new FileStateStore(join(context.charmDir, STATE_FILE_NAME)),
      cacheDir: context.charmDir,
      tracing,
    });
  } catch (err) {
    failure = err;
    reportUncaught(err, backend);
  }
  await tracing?.finish(failure);
}
