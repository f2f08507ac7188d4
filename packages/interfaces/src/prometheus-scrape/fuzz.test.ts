/**
 * Property-based fuzzing of the consumer with fast-check: generated relation sets mixing valid,
 * half-valid and hostile data. Properties: nothing throws, the output is deterministic, every job
 * fits a strict schema of the Prometheus scrape config we emit, and topology labels cannot be
 * spoofed. CI runs a bounded number of cases (FUZZ_RUNS, default 2000); scripts/fuzz-long.mjs
 * runs many more with a chosen seed.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Ajv } from "ajv";
import fc from "fast-check";
import { consume, type ScrapeRelation } from "./consumer.js";

// The unit tier (scripts/test.mjs sets TEST_TIER=unit) runs 200 cases; --int and --all the 2000.
const RUNS = Number(process.env.FUZZ_RUNS ?? (process.env.TEST_TIER === "unit" ? 200 : 2000));
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

const LABEL = "^[a-zA-Z_][a-zA-Z0-9_]*$";
const DURATION =
  "^((([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?|0)$";
const relabel = {
  type: "object",
  additionalProperties: false,
  properties: {
    source_labels: { type: "array", items: { type: "string", pattern: LABEL } },
    separator: { type: "string" },
    target_label: { type: "string", not: { pattern: "^juju_" } },
    regex: { type: "string" },
    modulus: { type: "integer", minimum: 0 },
    replacement: { type: "string" },
    action: {
      enum: [
        "replace",
        "keep",
        "drop",
        "hashmod",
        "labelmap",
        "labeldrop",
        "labelkeep",
        "lowercase",
        "uppercase",
        "keepequal",
        "dropequal",
      ],
    },
  },
};
/**
 * The subset of Prometheus' scrape_config the consumer may emit, strictly. `static_configs` is
 * not required: a job from a relation without `scrape_metadata` is passed through as the Python
 * library does, and a job without targets is valid for Prometheus (it scrapes nothing); jobs on
 * the metadata path always have targets (checked in the property below).
 */
export const SCRAPE_JOB_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["job_name"],
  properties: {
    job_name: { type: "string", minLength: 1 },
    metrics_path: { type: "string" },
    scheme: { enum: ["http", "https"] },
    scrape_interval: { type: "string", pattern: DURATION },
    scrape_timeout: { type: "string", pattern: DURATION },
    proxy_url: { type: "string" },
    sample_limit: { type: "integer", minimum: 0 },
    label_limit: { type: "integer", minimum: 0 },
    label_name_length_limit: { type: "integer", minimum: 0 },
    label_value_length_limit: { type: "integer", minimum: 0 },
    honor_labels: { type: "boolean" },
    params: { type: "object", additionalProperties: { type: "array", items: { type: "string" } } },
    basic_auth: {
      type: "object",
      additionalProperties: false,
      properties: { username: { type: "string" }, password: { type: "string" } },
    },
    authorization: {
      type: "object",
      additionalProperties: false,
      properties: { type: { type: "string" }, credentials: { type: "string" } },
    },
    tls_config: {
      type: "object",
      additionalProperties: false,
      properties: {
        ca_file: { type: "string", pattern: "BEGIN" },
        cert_file: { type: "string", pattern: "BEGIN" },
        key_file: { type: "string", pattern: "BEGIN" },
        server_name: { type: "string" },
        insecure_skip_verify: { type: "boolean" },
        min_version: { enum: ["TLS10", "TLS11", "TLS12", "TLS13"] },
      },
    },
    static_configs: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["targets"],
        properties: {
          targets: { type: "array", items: { type: "string" } },
          labels: {
            type: "object",
            propertyNames: { pattern: LABEL },
            additionalProperties: { type: "string" },
          },
        },
      },
    },
    relabel_configs: { type: "array", items: relabel },
    metric_relabel_configs: { type: "array", items: relabel },
  },
};

const validateJob = new Ajv({ allErrors: true, strict: false }).compile(SCRAPE_JOB_SCHEMA);
const UUIDS = ["a1b2c3d4-1111-4222-8333-444455556666", "0f0f0f0f-2222-4333-9444-555566667777"];
const APPS = ["alpha", "beta", "gamma"];

const anyValue = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
);
const labelName = fc.oneof(
  fc.constantFrom("env", "tier", "juju_model", "juju_unit", "juju_application", "1bad", "a-b", "__meta_x"),
  fc.string({ maxLength: 8 }),
);
const target = fc.oneof(
  fc.constantFrom("*:8000", "*:9100", "10.0.0.1:80", "host.example:443", "*", "[::1]:9090"),
  fc.string({ maxLength: 20 }),
);
const relabelGen = fc.record(
  {
    source_labels: fc.array(labelName, { maxLength: 2 }),
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Prometheus' relabel reference syntax
    target_label: fc.oneof(labelName, fc.constantFrom("juju_$1", "${1}_model", "instance")),
    regex: fc.oneof(fc.constantFrom("(.*)", "juju_.*", "(", "x_(.*)"), fc.string({ maxLength: 6 })),
    replacement: fc.oneof(fc.constantFrom("$1", "juju_$1"), fc.string({ maxLength: 6 })),
    action: fc.oneof(
      fc.constantFrom("replace", "labelmap", "labeldrop", "keep", "bogus"),
      fc.string({ maxLength: 5 }),
    ),
  },
  { requiredKeys: [] },
);
const job = fc.record(
  {
    job_name: fc.oneof(fc.string({ maxLength: 12 }), anyValue),
    metrics_path: fc.oneof(fc.constantFrom("/metrics", "/m?x=1"), anyValue),
    scheme: fc.oneof(fc.constantFrom("http", "https", "ftp"), anyValue),
    scrape_interval: fc.oneof(fc.constantFrom("5s", "1m", "1h30m", "soon", "0"), anyValue),
    scrape_timeout: fc.oneof(fc.constantFrom("5s", "2m"), anyValue),
    sample_limit: fc.oneof(fc.integer({ min: -5, max: 100 }), anyValue),
    static_configs: fc.oneof(
      fc.array(
        fc.record(
          {
            targets: fc.oneof(fc.array(target, { maxLength: 3 }), anyValue),
            labels: fc.dictionary(labelName, fc.oneof(fc.string({ maxLength: 10 }), anyValue), {
              maxKeys: 3,
            }),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 2 },
      ),
      anyValue,
    ),
    relabel_configs: fc.oneof(fc.array(relabelGen, { maxLength: 2 }), anyValue),
    metric_relabel_configs: fc.array(relabelGen, { maxLength: 2 }),
    bearer_token_file: fc.string({ maxLength: 10 }),
    file_sd_configs: fc.constant([{ files: ["/etc/x.json"] }]),
    basic_auth: fc.record(
      { username: fc.string({ maxLength: 5 }), password_file: fc.string({ maxLength: 5 }) },
      { requiredKeys: [] },
    ),
    tls_config: fc.record(
      {
        ca_file: fc.oneof(
          fc.constant("-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----"),
          fc.string({ maxLength: 8 }),
        ),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);

/** Jobs that are valid apart from what the generators of `job` above may mix in. */
const validJob = fc.record(
  {
    job_name: fc.constantFrom("web", "db", "x y", "métriques", "a\nb"),
    metrics_path: fc.constantFrom("/metrics", "/probe"),
    scrape_interval: fc.constantFrom("5s", "30s", "1m"),
    static_configs: fc.array(
      fc.record(
        {
          targets: fc.array(fc.constantFrom("*:8000", "10.0.0.1:80", "host.example:443"), {
            minLength: 1,
            maxLength: 2,
          }),
          labels: fc.dictionary(
            fc.constantFrom("env", "tier", "juju_unit", "juju_model"),
            fc.string({ maxLength: 8 }),
            { maxKeys: 2 },
          ),
        },
        { requiredKeys: ["targets"] },
      ),
      { minLength: 1, maxLength: 2 },
    ),
    relabel_configs: fc.array(relabelGen, { maxLength: 1 }),
  },
  { requiredKeys: ["static_configs"] },
);

const relationGen = (id: number) =>
  fc
    .record({
      app: fc.constantFrom(...APPS),
      uuid: fc.constantFrom(...UUIDS),
      // Juju's view: the relation's remote model (cross-model or ours).
      crossModel: fc.boolean(),
      metadata: fc.oneof(
        { weight: 6, arbitrary: fc.constant("valid") },
        { weight: 1, arbitrary: fc.constant("absent") },
        { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
      ),
      jobs: fc.oneof(
        {
          weight: 6,
          arbitrary: fc
            .array(fc.oneof({ weight: 3, arbitrary: validJob }, { weight: 1, arbitrary: job }), {
              maxLength: 3,
            })
            .map((js) => JSON.stringify(js)),
        },
        { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
        { weight: 1, arbitrary: fc.json() },
      ),
      units: fc.array(
        fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom("10.1.0.1", "10.1.0.2", "node.local", "") },
          { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
        ),
        { maxLength: 3 },
      ),
    })
    .map((r): ScrapeRelation & { appName: string } => {
      const remoteAppData: Record<string, string> = { scrape_jobs: r.jobs };
      if (r.metadata === "valid")
        remoteAppData.scrape_metadata = JSON.stringify({
          model: "cos",
          model_uuid: r.uuid,
          application: r.app,
          charm_name: `${r.app}-k8s`,
        });
      else if (r.metadata !== "absent") remoteAppData.scrape_metadata = r.metadata;
      const remoteUnitsData: Record<string, Record<string, string>> = {};
      r.units.forEach((addr, u) => {
        remoteUnitsData[`${r.app}/${u}`] =
          addr === ""
            ? {}
            : { prometheus_scrape_unit_address: addr, prometheus_scrape_unit_name: `${r.app}/${u}` };
      });
      return {
        id,
        endpoint: "metrics-endpoint",
        remoteApp: r.app,
        remoteModelUuid: r.crossModel ? r.uuid : undefined,
        remoteAppData,
        remoteUnitsData,
        appName: r.app,
      };
    });

const relations = fc
  .array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 4 })
  .chain((xs) => fc.tuple(...xs.map((_, i) => relationGen(i + 1))));
/** This model: the "cos" of the generated metadata, with the first generated uuid. */
const LOCAL = { name: "cos", uuid: UUIDS[0]! };

describe("consumer fuzzing", () => {
  it(`${RUNS} generated relation sets: no throw, deterministic, schema-valid, unspoofable topology`, () => {
    let produced = 0;
    fc.assert(
      fc.property(relations, fc.subarray([...APPS]), (rels, trusted) => {
        const opts = { model: LOCAL, trustedAggregators: trusted };
        const a = consume(rels, opts);
        const b = consume(rels, opts);
        assert.deepEqual(a, b);
        produced += a.jobs.length;
        for (const j of a.jobs) {
          if (!validateJob(j)) assert.fail(`${JSON.stringify(validateJob.errors)} in ${JSON.stringify(j)}`);
          const name = String(j.job_name);
          if (name.startsWith("juju_") && rels.some((r) => r.remoteAppData.scrape_metadata !== undefined))
            assert.ok(
              !name.includes("_prometheus_scrape") ||
                (Array.isArray(j.static_configs) && j.static_configs.length > 0),
              `${name}: a job on the metadata path has targets`,
            );
          for (const sc of (j.static_configs ?? []) as { labels?: Record<string, string> }[]) {
            const labels = sc.labels ?? {};
            // A job on the metadata path carries its relation's own topology, nothing else.
            if (name.startsWith("juju_") && labels.juju_model_uuid !== undefined) {
              const rel = rels.find((r) => r.remoteApp === labels.juju_application);
              assert.ok(rel, `juju_application ${labels.juju_application} comes from a related app`);
              assert.ok(
                name.includes(`_${labels.juju_application}_prometheus_scrape`),
                `${name} vs ${labels.juju_application}`,
              );
              assert.ok(UUIDS.includes(labels.juju_model_uuid), labels.juju_model_uuid);
              assert.equal(labels.juju_model, "cos");
              // A pinned relation's job carries exactly what Juju says of it, and no target may
              // override that (honor_labels false).
              const owner: ScrapeRelation | undefined = rels.find(
                (r) => r.id === a.jobRelations[a.jobs.indexOf(j)],
              );
              assert.ok(owner);
              if (!trusted.includes(owner.remoteApp ?? "")) {
                assert.equal(labels.juju_application, owner.remoteApp);
                assert.equal(labels.juju_model_uuid, owner.remoteModelUuid ?? LOCAL.uuid);
                assert.equal(j.honor_labels, false);
              }
            }
          }
        }
      }),
      { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) },
    );
    // The generators must reach the renderer, not only the parsers' error paths.
    assert.ok(produced >= RUNS / 10, `only ${produced} jobs rendered over ${RUNS} runs`);
  });
});
