/**
 * Charm metadata: relations, containers, storage, config options and actions, from
 * `charmcraft.yaml` or the `metadata.yaml` + `config.yaml` + `actions.yaml` triple that
 * `charmcraft pack` generates. Parsing of already-loaded documents is pure and synchronous
 * (`parseCharmMeta`); the YAML library is loaded lazily by `loadCharmMeta` so the hot path of a
 * bundled charm, which embeds its metadata as JSON, never pays for it.
 */

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { MetadataError } from "./errors.js";

/** How an endpoint is declared. */
export type RelationRole = "requires" | "provides" | "peers";

/** One relation endpoint. */
export interface RelationMeta {
  readonly name: string;
  readonly role: RelationRole;
  readonly interface: string;
  readonly limit?: number | undefined;
  readonly optional: boolean;
  readonly scope: "global" | "container";
}

/** One workload container. */
export interface ContainerMeta {
  readonly name: string;
  readonly resource?: string | undefined;
  readonly mounts: readonly { readonly storage: string; readonly location: string }[];
}

/** One storage declaration. */
export interface StorageMeta {
  readonly name: string;
  readonly type: string;
  readonly location?: string | undefined;
  readonly description: string;
  readonly multiple: boolean;
}

/** The config option types Juju knows. */
export type ConfigType = "string" | "int" | "float" | "boolean" | "secret";

/** One config option. */
export interface ConfigOptionMeta {
  readonly name: string;
  readonly type: ConfigType;
  readonly default?: string | number | boolean | undefined;
  readonly description: string;
}

/** One action; `params` is the JSON-schema `properties` map. */
export interface ActionMeta {
  readonly name: string;
  readonly description: string;
  readonly params: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly required: readonly string[];
  readonly additionalProperties: boolean;
}

/** Everything the SDK needs to know about a charm's declarations. */
export interface CharmMeta {
  readonly name: string;
  readonly summary: string;
  readonly description: string;
  readonly subordinate: boolean;
  /** Every endpoint by name, whatever its role. */
  readonly relations: Readonly<Record<string, RelationMeta>>;
  readonly containers: Readonly<Record<string, ContainerMeta>>;
  readonly storage: Readonly<Record<string, StorageMeta>>;
  readonly config: Readonly<Record<string, ConfigOptionMeta>>;
  readonly actions: Readonly<Record<string, ActionMeta>>;
}

/** Raw documents as loaded from YAML (or JSON). */
export interface CharmMetaSources {
  /** `metadata.yaml` content, or the whole `charmcraft.yaml`. */
  readonly metadata: unknown;
  /** `config.yaml` content (`{options: ...}`); for charmcraft.yaml, its `config` key is used. */
  readonly config?: unknown;
  /** `actions.yaml` content; for charmcraft.yaml, its `actions` key is used. */
  readonly actions?: unknown;
  /** File name used in error messages. */
  readonly file?: string | undefined;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function objOr(file: string, where: string, v: unknown): Obj {
  if (v === undefined || v === null) return {};
  if (!isObj(v)) throw new MetadataError(file, `${where} must be a mapping`);
  return v;
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

const CONFIG_TYPES = new Set<string>(["string", "int", "float", "boolean", "secret"]);

/** Validate and normalize loaded documents into a `CharmMeta`. Pure. */
export function parseCharmMeta(src: CharmMetaSources): CharmMeta {
  const file = src.file ?? "metadata.yaml";
  const md = objOr(file, "the document", src.metadata);
  const name = str(md.name);
  if (!name) throw new MetadataError(file, "missing charm `name`");

  const relations: Record<string, RelationMeta> = {};
  for (const role of ["requires", "provides", "peers"] as const) {
    for (const [ep, raw] of Object.entries(objOr(file, role, md[role]))) {
      const r = objOr(file, `${role}.${ep}`, raw);
      if (relations[ep]) throw new MetadataError(file, `endpoint "${ep}" is declared twice`);
      const iface = str(r.interface);
      if (!iface) throw new MetadataError(file, `${role}.${ep} needs an \`interface\``);
      if (r.limit !== undefined && (typeof r.limit !== "number" || !Number.isInteger(r.limit))) {
        throw new MetadataError(file, `${role}.${ep}.limit must be an integer`);
      }
      relations[ep] = {
        name: ep,
        role,
        interface: iface,
        limit: r.limit as number | undefined,
        optional: r.optional === true,
        scope: r.scope === "container" ? "container" : "global",
      };
    }
  }

  const containers: Record<string, ContainerMeta> = {};
  for (const [cn, raw] of Object.entries(objOr(file, "containers", md.containers))) {
    const c = objOr(file, `containers.${cn}`, raw);
    const mounts = Array.isArray(c.mounts) ? c.mounts : [];
    containers[cn] = {
      name: cn,
      resource: typeof c.resource === "string" ? c.resource : undefined,
      mounts: mounts.map((m, i) => {
        const mo = objOr(file, `containers.${cn}.mounts[${i}]`, m);
        return { storage: str(mo.storage), location: str(mo.location) };
      }),
    };
  }

  const storage: Record<string, StorageMeta> = {};
  for (const [sn, raw] of Object.entries(objOr(file, "storage", md.storage))) {
    const s = objOr(file, `storage.${sn}`, raw);
    storage[sn] = {
      name: sn,
      type: str(s.type) || "filesystem",
      location: typeof s.location === "string" ? s.location : undefined,
      description: str(s.description),
      multiple: s.multiple !== undefined,
    };
  }

  const configDoc = objOr(file, "config", src.config ?? md.config);
  const config: Record<string, ConfigOptionMeta> = {};
  for (const [on, raw] of Object.entries(objOr(file, "config.options", configDoc.options))) {
    const o = objOr(file, `config.options.${on}`, raw);
    const type = str(o.type) || "string";
    if (!CONFIG_TYPES.has(type)) {
      throw new MetadataError(file, `config option "${on}" has unknown type "${type}"`);
    }
    const def = o.default;
    if (def !== undefined && def !== null && !["string", "number", "boolean"].includes(typeof def)) {
      throw new MetadataError(file, `config option "${on}" has a non-scalar default`);
    }
    config[on] = {
      name: on,
      type: type as ConfigType,
      default: def === null ? undefined : (def as string | number | boolean | undefined),
      description: str(o.description),
    };
  }

  const actions: Record<string, ActionMeta> = {};
  for (const [an, raw] of Object.entries(objOr(file, "actions", src.actions ?? md.actions))) {
    const a = objOr(file, `actions.${an}`, raw);
    const params = objOr(file, `actions.${an}.params`, a.params) as Record<string, Obj>;
    actions[an] = {
      name: an,
      description: str(a.description),
      params,
      required: Array.isArray(a.required) ? a.required.filter((x): x is string => typeof x === "string") : [],
      additionalProperties: a.additionalProperties !== false,
    };
  }

  return {
    name,
    summary: str(md.summary),
    description: str(md.description),
    subordinate: md.subordinate === true,
    relations,
    containers,
    storage,
    config,
    actions,
  };
}

/**
 * Load a charm's metadata from its directory: `metadata.yaml` (+ `config.yaml`, `actions.yaml`)
 * when present, as Juju ships them, else `charmcraft.yaml`.
 */
export async function loadCharmMeta(charmDir: string): Promise<CharmMeta> {
  const { parse } = await import("yaml");
  const read = (f: string): unknown => {
    const p = join(charmDir, f);
    if (!existsSync(p)) return undefined;
    try {
      return parse(readFileSync(p, "utf8"));
    } catch (err) {
      throw new MetadataError(f, `not valid YAML: ${(err as Error).message}`, { cause: err });
    }
  };
  const metadata = read("metadata.yaml");
  if (metadata !== undefined) {
    return parseCharmMeta({
      metadata,
      config: read("config.yaml") ?? {},
      actions: read("actions.yaml") ?? {},
      file: "metadata.yaml",
    });
  }
  const cc = read("charmcraft.yaml");
  if (cc === undefined) {
    throw new MetadataError(charmDir, "neither metadata.yaml nor charmcraft.yaml found");
  }
  return parseCharmMeta({ metadata: cc, file: "charmcraft.yaml" });
}
