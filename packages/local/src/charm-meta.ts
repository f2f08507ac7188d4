/**
 * Reads what the runtime needs from a charm directory: endpoints (with role and interface), peers,
 * containers and their storage mounts, storage, config options with defaults, and actions.
 *
 * `charmcraft.yaml` is preferred; a packed charm's `metadata.yaml` + `config.yaml` + `actions.yaml`
 * are read when it is absent. Parsing is pure (`parseCharmMeta`) so bundles can be validated in tests.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
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

const OPTION_TYPES = new Set(["string", "int", "float", "boolean", "secret"]);

/**
 * Builds a `CharmMeta` from already-parsed YAML documents.
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
  const m = obj(meta);
  const name = m.name;
  if (typeof name !== "string" || name === "") throw new CharmMetaError("missing `name`", source);
  const endpoints: Record<string, EndpointMeta> = {};
  for (const role of ["provides", "requires", "peers"] as const) {
    for (const [ep, def] of Object.entries(obj(m[role]))) {
      const d = obj(def);
      if (typeof d.interface !== "string") {
        throw new CharmMetaError(`endpoint "${ep}" under ${role} has no interface`, source);
      }
      if (endpoints[ep]) throw new CharmMetaError(`endpoint "${ep}" is declared twice`, source);
      endpoints[ep] = {
        name: ep,
        role,
        interface: d.interface,
        limit: typeof d.limit === "number" ? d.limit : undefined,
      };
    }
  }
  const containers: Record<string, { storage: string; location: string }[]> = {};
  for (const [c, def] of Object.entries(obj(m.containers))) {
    const mounts = Array.isArray(obj(def).mounts) ? (obj(def).mounts as unknown[]) : [];
    containers[c] = mounts
      .map(obj)
      .filter((x) => typeof x.storage === "string" && typeof x.location === "string")
      .map((x) => ({ storage: x.storage as string, location: x.location as string }));
  }
  const options: Record<string, ConfigOptionMeta> = {};
  for (const [k, def] of Object.entries(obj(obj(config).options))) {
    const d = obj(def);
    const type = typeof d.type === "string" ? d.type : "string";
    if (!OPTION_TYPES.has(type)) throw new CharmMetaError(`option "${k}" has unknown type "${type}"`, source);
    const dflt = d.default;
    options[k] = {
      type: type as ConfigOptionMeta["type"],
      default:
        typeof dflt === "string" || typeof dflt === "number" || typeof dflt === "boolean" ? dflt : undefined,
    };
  }
  const acts: Record<string, ActionMeta> = {};
  for (const [a, def] of Object.entries(obj(actions))) {
    const paramDefaults: Record<string, unknown> = {};
    for (const [p, pdef] of Object.entries(obj(obj(def).params))) {
      if ("default" in obj(pdef)) paramDefaults[p] = obj(pdef).default;
    }
    acts[a] = { name: a, paramDefaults };
  }
  return {
    name,
    endpoints,
    containers,
    storage: Object.keys(obj(m.storage)).sort(),
    options,
    actions: acts,
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
