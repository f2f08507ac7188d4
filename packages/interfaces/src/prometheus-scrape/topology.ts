/**
 * Juju topology (cosl `JujuTopology`): the model/application/unit identity that every scrape job
 * name, topology label, alert-rule matcher and rule-file name is derived from.
 *
 * The shapes and spellings here are on the wire (`scrape_metadata`) and in users' dashboards and
 * alerts, so they follow the Python library exactly; only the failure mode differs (a typed error
 * naming the field instead of a bare `KeyError`).
 */

/** Why a topology could not be built; `field` names the offending `scrape_metadata` key. */
export class TopologyError extends Error {
  override readonly name = "TopologyError";
  constructor(
    readonly field: "model" | "model_uuid" | "application" | "unit" | "charm_name" | "scrape_metadata",
    message: string,
  ) {
    super(message);
  }
}

/** The plain-object form of a topology, in `as_dict()` key order (the shape of `scrape_metadata`). */
export interface TopologyDict {
  model: string;
  model_uuid: string;
  application: string;
  unit: string;
  charm_name: string;
}

// `str(UUID(x, version=4)) == x` in Python forces the version nibble to 4 and the variant bits to
// RFC 4122 before comparing, so only the canonical lowercase v4 form survives the round trip.
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** True when `uuid` is what cosl accepts as a model UUID (canonical lowercase version-4 form). */
export function isValidModelUuid(uuid: string): boolean {
  return UUID_V4.test(uuid);
}

/** An immutable Juju topology. Build with {@link JujuTopology.fromDict} or the constructor. */
export class JujuTopology {
  readonly model: string;
  readonly modelUuid: string;
  readonly application: string;
  readonly unit: string;
  readonly charmName: string;

  /** @throws TopologyError when `modelUuid` is not a canonical version-4 UUID. */
  constructor(model: string, modelUuid: string, application: string, unit = "", charmName = "") {
    if (!isValidModelUuid(modelUuid)) {
      throw new TopologyError("model_uuid", `model_uuid '${modelUuid}' is not a valid version-4 UUID`);
    }
    this.model = model;
    this.modelUuid = modelUuid;
    this.application = application;
    this.unit = unit;
    this.charmName = charmName;
    Object.freeze(this);
  }

  /**
   * Builds a topology from a `scrape_metadata`-shaped object. `model`, `model_uuid` and
   * `application` are required strings; `unit` and `charm_name` default to `""`.
   *
   * @throws TopologyError naming the missing or mistyped field, or the invalid UUID.
   * @example JujuTopology.fromDict({ model: "cos", model_uuid: "c2e9f4d5-dcb3-4870-8509-330eb9745ee8", application: "zinc" })
   */
  static fromDict(d: unknown): JujuTopology {
    if (typeof d !== "object" || d === null || Array.isArray(d)) {
      throw new TopologyError("scrape_metadata", "scrape_metadata is not a JSON object");
    }
    const rec = d as Record<string, unknown>;
    const req = (k: "model" | "model_uuid" | "application"): string => {
      const v = rec[k];
      if (v === undefined) throw new TopologyError(k, `scrape_metadata lacks '${k}'`);
      if (typeof v !== "string") throw new TopologyError(k, `scrape_metadata '${k}' is not a string`);
      return v;
    };
    const opt = (k: "unit" | "charm_name"): string => {
      const v = rec[k];
      // Python's from_dict uses `d.get(k, "")`; a JSON null there would later print as "None", so
      // we treat null like absent rather than failing a relation over an optional field.
      if (v === undefined || v === null) return "";
      if (typeof v !== "string") throw new TopologyError(k, `scrape_metadata '${k}' is not a string`);
      return v;
    };
    return new JujuTopology(
      req("model"),
      req("model_uuid"),
      req("application"),
      opt("unit"),
      opt("charm_name"),
    );
  }

  /** `{model}_{uuid[:8]}_{application}` with `/` replaced by `_`, e.g. `cos_c2e9f4d5_zinc-k8s`. */
  get identifier(): string {
    return `${this.model}_${this.modelUuid.slice(0, 8)}_${this.application}`.replaceAll("/", "_");
  }

  /** The first 8 characters of the model UUID. */
  get modelUuidShort(): string {
    return this.modelUuid.slice(0, 8);
  }

  /** `as_dict()`: the `scrape_metadata` shape, in its key order. */
  asDict(): TopologyDict {
    return {
      model: this.model,
      model_uuid: this.modelUuid,
      application: this.application,
      unit: this.unit,
      charm_name: this.charmName,
    };
  }

  /** Topology labels for scrape targets: model, uuid, application, charm; empty values left out; never the unit. */
  labelMatcherDict(): Record<string, string> {
    return nonEmpty([
      ["juju_model", this.model],
      ["juju_model_uuid", this.modelUuid],
      ["juju_application", this.application],
      ["juju_charm", this.charmName],
    ]);
  }

  /** Matchers injected into alert expressions: model, uuid, application; never unit or charm. */
  alertExpressionDict(): Record<string, string> {
    return nonEmpty([
      ["juju_model", this.model],
      ["juju_model_uuid", this.modelUuid],
      ["juju_application", this.application],
    ]);
  }
}

function nonEmpty(pairs: readonly (readonly [string, string])[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of pairs) if (v !== "") out[k] = v;
  return out;
}
