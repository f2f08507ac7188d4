/**
 * Reads what the runtime needs from a charm directory: endpoints (with role and interface), peers,
 * containers and their storage mounts, storage, config options with defaults, and actions.
 *
 * `charmcraft.yaml` is preferred; a packed charm's `metadata.yaml` + `config.yaml` + `actions.yaml`
 * are read when it is absent. Parsing is pure (`parseCharmMeta`) so bundles can be validated in tests;
 * it is the SDK's parser, reshaped for the runtime.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { MetadataError, type CharmMeta as SdkCharmMeta } from "@charmkit/ops";
import { parseCharmMeta as parseSdkCharmMeta } from "@charmkit/ops/internal";
import { parse as parseYaml } from "yaml";

/** Role of an endpoint, as declared in the charm's metadata. */
export type EndpointRole = "provides" | "requires" | "peers";

/** One relation endpoint of a charm. */
export interface EndpointMeta {
  readonly name: string;
  readonly role: EndpointRole;
  readonly interface: string;
  readonly limit?: number | undefined;
}

/** A config option: its declared type and its default, when one is declared. */
export interface ConfigOptionMeta {
  readonly type: "string" | "int" | "float" | "boolean" | "secret";
  readonly default?: string | number | boolean | undefined;
}

/** An action and the defaults of its parameters (from the JSON-schema style `params`). */
export interface ActionMeta {
  readonly name: string;
  readonly paramDefaults: Readonly<Record<string, unknown>>;
}

/** The parts of a charm's metadata that the local runtime acts on. */
export interface CharmMeta {
  readonly name: string;
  readonly endpoints: Readonly<Record<string, EndpointMeta>>;
  /** Container name to its storage mounts (`storage` name and `location` inside the container). */
  readonly containers: Readonly<Record<string, readonly { storage: string; location: string }[]>>;
  readonly storage: readonly string[];
  readonly options: Readonly<Record<string, ConfigOptionMeta>>;
  readonly actions: Readonly<Record<string, ActionMeta>>;
  /** The SDK's record of the same metadata (what a charm's own parser makes of it). */
  readonly sdk: SdkCharmMeta;
}

/** Metadata that cannot be used: names the file and the field. */
export class CharmMetaError extends Error {
  constructor(
    message: string,
    readonly source: string,
    options?: ErrorOptions,
  ) {
    super(`${source}: ${message}`, options);
    this.name = "CharmMetaError";
  }
}

function obj(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/**
 * Builds a `CharmMeta` from already-parsed YAML documents, through the SDK's metadata parser (one
 * parser for the charm and the runtime), keeping the SDK's record as `sdk`.
 * @param meta the metadata document (charmcraft.yaml or metadata.yaml)
 * @param config the `config` mapping (with `options`), from charmcraft.yaml or config.yaml
 * @param actions the `actions` mapping, from charmcraft.yaml or actions.yaml
 */
export function parseCharmMeta(
  meta: unknown,
  config: unknown,
  actions: unknown,
  source = "charm",
): CharmMeta {
  let sdk: SdkCharmMeta;
  try {
    sdk = parseSdkCharmMeta({ metadata: meta, config: config ?? {}, actions: actions ?? {}, file: source });
  } catch (e) {
    if (e instanceof MetadataError) throw new CharmMetaError(e.message.slice(`${source}: `.length), source);
    throw e;
  }
  const endpoints: Record<string, EndpointMeta> = {};
  for (const r of Object.values(sdk.relations)) {
    endpoints[r.name] = { name: r.name, role: r.role, interface: r.interface, limit: r.limit };
  }
  const containers: Record<string, { storage: string; location: string }[]> = {};
  for (const c of Object.values(sdk.containers)) {
    containers[c.name] = c.mounts
      .filter((m) => m.storage !== "" && m.location !== "")
      .map((m) => ({ storage: m.storage, location: m.location }));
  }
  const options: Record<string, ConfigOptionMeta> = {};
  for (const o of Object.values(sdk.config)) options[o.name] = { type: o.type, default: o.default };
  const acts: Record<string, ActionMeta> = {};
  for (const a of Object.values(sdk.actions)) {
    const paramDefaults: Record<string, unknown> = {};
    for (const [p, pdef] of Object.entries(a.params)) if ("default" in pdef) paramDefaults[p] = pdef.default;
    acts[a.name] = { name: a.name, paramDefaults };
  }
  return {
    name: sdk.name,
    endpoints,
    containers,
    storage: Object.keys(sdk.storage).sort(),
    options,
    actions: acts,
    sdk,
  };
}

function readYaml(path: string): unknown {
  try {
    return parseYaml(readFileSync(path, "utf8"));
  } catch (e) {
    throw new CharmMetaError(`cannot parse: ${(e as Error).message}`, path, { cause: e });
  }
}

/** Loads the metadata of the charm in `charmDir`; throws `CharmMetaError` when none is usable. */
export function loadCharmMeta(charmDir: string): CharmMeta {
  const cc = join(charmDir, "charmcraft.yaml");
  const md = join(charmDir, "metadata.yaml");
  if (existsSync(md)) {
    const cfg = join(charmDir, "config.yaml");
    const act = join(charmDir, "actions.yaml");
    const base = existsSync(cc) ? obj(readYaml(cc)) : {};
    return parseCharmMeta(
      readYaml(md),
      existsSync(cfg) ? readYaml(cfg) : base.config,
      existsSync(act) ? readYaml(act) : base.actions,
      md,
    );
  }
  if (existsSync(cc)) {
    const doc = obj(readYaml(cc));
    return parseCharmMeta(doc, doc.config, doc.actions, cc);
  }
  throw new CharmMetaError("no charmcraft.yaml or metadata.yaml", charmDir);
}

/** The config a unit sees: declared defaults overlaid with the values the operator set. */
export function effectiveConfig(
  meta: CharmMeta,
  set: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(meta.options).sort()) {
    const v = k in set ? set[k] : meta.options[k]?.default;
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/**
 * Converts an operator-given value (from a bundle or `k=v` on the command line) to the option's type.
 * @returns the typed value, or an error message naming the option
 */
export function coerceOption(
  meta: CharmMeta,
  key: string,
  value: unknown,
): { value: unknown } | { error: string } {
  const opt = meta.options[key];
  if (!opt) return { error: `unknown option "${key}" for charm ${meta.name}` };
  const s = String(value);
  switch (opt.type) {
    case "int": {
      const n = typeof value === "number" ? value : Number(s);
      return Number.isInteger(n) ? { value: n } : { error: `option "${key}" expects an int, got "${s}"` };
    }
    case "float": {
      const n = typeof value === "number" ? value : Number(s);
      return Number.isFinite(n) ? { value: n } : { error: `option "${key}" expects a float, got "${s}"` };
    }
    case "boolean":
      if (value === true || s === "true") return { value: true };
      if (value === false || s === "false") return { value: false };
      return { error: `option "${key}" expects a boolean, got "${s}"` };
    default:
      return { value: s };
  }
}
