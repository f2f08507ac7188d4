#!/usr/bin/env node
// Writes the blind hostile-input corpus, testdata/hostile-blind/<id>.json: one file per case, each
// holding one well-behaved relation (the same in every case) and one or more hostile ones, in the
// consumer fixture format that `prometheus-scrape render` reads, plus what must happen in
// behavioural terms. Written without reading the code under test: every expectation comes from the
// threat model, the wire spec (shared/spec/prometheus-k8s.md) and Prometheus' own rules.
// The format, the macros that keep big inputs small on disk, and the checks every case gets are in
// testdata/hostile-blind/README.md. Run: node tests/hostile-blind/gen-corpus.mjs
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const OUT = join(dirname(fileURLToPath(import.meta.url)), "../../testdata/hostile-blind");
const j = JSON.stringify;
// Prometheus relabel references (`${1}`, `${host}`): written with a `$` + "{" split so they are not
// mistaken for template placeholders.
const ref = (name) => `$${"{"}${name}}`;

// --- the model Prometheus runs in, and the uuids hostile relations play with -------------------
const MODEL = { name: "cos", uuid: "f2c1b2a4-7a3e-4c1d-9b5e-1a2b3c4d5e6f" };
const OTHER_UUID = "0b8f7e6d-1c2b-4a39-8d7e-6f5a4b3c2d1e";
// A remote model's uuid, for cross-model relations (Juju reports it; the remote model's name is not vouched for).
const REMOTE_UUID = "5d6e7f80-91a2-4b3c-8d4e-5f60718293a4";
// Shares its first 8 hex digits with the Prometheus model's uuid, so identifiers built from
// `{model}_{uuid[:8]}_{app}` collide with the good relation's.
const PREFIX_UUID = "f2c1b2a4-0000-4000-8000-000000000001";

// --- the good relation: identical in every case ------------------------------------------------
const GOOD_TOPO = {
  juju_model: "cos",
  juju_model_uuid: MODEL.uuid,
  juju_application: "good-app",
  juju_charm: "good-k8s",
};
const GOOD_SEL = `juju_application="good-app",juju_model="cos",juju_model_uuid="${MODEL.uuid}"`;

function goodRelation() {
  const unit = (n) => ({
    prometheus_scrape_unit_address: `10.1.0.${n + 1}`,
    prometheus_scrape_unit_name: `good-app/${n}`,
    prometheus_scrape_unit_fqdn: `good-app-${n}.good-app-endpoints.cos.svc.cluster.local`,
  });
  return {
    id: 1,
    remote_app: "good-app",
    app_data: {
      scrape_metadata: j({
        model: "cos",
        model_uuid: MODEL.uuid,
        application: "good-app",
        unit: "good-app/0",
        charm_name: "good-k8s",
      }),
      scrape_jobs: j([
        {
          metrics_path: "/metrics",
          static_configs: [{ targets: ["*:8080"], labels: { tier: "web" } }],
          job_name: "metrics",
        },
        {
          metrics_path: "/probe",
          static_configs: [{ targets: ["*:9115"] }],
          job_name: "probe",
          params: { module: ["http_2xx"] },
          scrape_interval: "30s",
        },
      ]),
      alert_rules: j({
        groups: [
          {
            name: "cos_f2c1b2a4_good_app_good_rules",
            rules: [
              {
                alert: "GoodAppDown",
                expr: `up{${GOOD_SEL}} < 1`,
                for: "5m",
                labels: { severity: "critical", ...GOOD_TOPO },
                annotations: { summary: "{{ $labels.juju_unit }} of good-app is down" },
              },
              {
                record: "good:http_requests:rate5m",
                expr: `sum by (juju_unit) (rate(http_requests_total{${GOOD_SEL}}[5m]))`,
                labels: GOOD_TOPO,
              },
            ],
          },
          {
            name: "cos_f2c1b2a4_good_app_HostHealth_rules",
            rules: [
              {
                alert: "HostDown",
                expr: `up{${GOOD_SEL}} < 1`,
                for: "5m",
                labels: { severity: "critical", ...GOOD_TOPO },
                annotations: { summary: "Host '{{ $labels.instance }}' is down." },
              },
              {
                alert: "HostMetricsMissing",
                expr: `absent(up{${GOOD_SEL}})`,
                for: "5m",
                labels: { severity: "warning", ...GOOD_TOPO },
                annotations: {
                  summary: "Unit '{{ $labels.juju_unit }}' is down or failing to remote write.",
                },
              },
            ],
          },
        ],
      }),
    },
    units: { "good-app/0": unit(0), "good-app/1": unit(1) },
  };
}

// --- hostile relations ---------------------------------------------------------------------------
const NONE = Symbol("none");

/** scrape_metadata of relation 2's true topology (same model), with fields overridden. */
function meta(o = {}) {
  return {
    model: "cos",
    model_uuid: MODEL.uuid,
    application: "evil",
    unit: "evil/0",
    charm_name: "evil-k8s",
    ...o,
  };
}

function unitBag(app, n, o = {}) {
  return {
    prometheus_scrape_unit_address: `10.2.0.${n + 1}`,
    prometheus_scrape_unit_name: `${app}/${n}`,
    prometheus_scrape_unit_fqdn: `${app}-${n}.${app}-endpoints.cos.svc.cluster.local`,
    ...o,
  };
}

function unitsOf(app, n = 2) {
  const out = {};
  for (let i = 0; i < n; i++) out[`${app}/${i}`] = unitBag(app, i);
  return out;
}

const EVIL_JOBS = [{ job_name: "x", metrics_path: "/metrics", static_configs: [{ targets: ["*:9000"] }] }];
const EVIL_TOPO = {
  juju_model: "cos",
  juju_model_uuid: MODEL.uuid,
  juju_application: "evil",
  juju_charm: "evil-k8s",
};
const EVIL_SEL = `juju_application="evil",juju_model="cos",juju_model_uuid="${MODEL.uuid}"`;

/**
 * A hostile relation. Strings are put in the bag verbatim (so they may hold malformed JSON or
 * macros); anything else is JSON-encoded. `metadata: NONE` leaves scrape_metadata out.
 */
function rel({
  id = 2,
  app = "evil",
  metadata = meta(app === "evil" ? {} : { application: app, unit: `${app}/0` }),
  jobs = EVIL_JOBS,
  rules,
  units,
  remoteModelUuid,
  extraAppData = {},
  unitsGenerate,
} = {}) {
  const appData = {};
  const put = (k, v) => {
    if (v === undefined || v === NONE) return;
    appData[k] = typeof v === "string" ? v : j(v);
  };
  put("scrape_metadata", metadata);
  put("scrape_jobs", jobs);
  put("alert_rules", rules);
  Object.assign(appData, extraAppData);
  return {
    id,
    remote_app: app,
    app_data: appData,
    units: units ?? (unitsGenerate ? {} : unitsOf(app)),
    ...(unitsGenerate ? { units_generate: unitsGenerate } : {}),
    ...(remoteModelUuid ? { remote_model_uuid: remoteModelUuid } : {}),
  };
}

/** One job of relation 2 with the given fields on top of a wildcard `*:9000` job named x. */
function job(o = {}) {
  return { job_name: "x", metrics_path: "/metrics", static_configs: [{ targets: ["*:9000"] }], ...o };
}

/** A rules file with one group of relation 2's rules. */
function groups(...rules) {
  return { groups: [{ name: "cos_f2c1b2a4_evil_evil_rules", rules }] };
}

/** An alert rule the way the Python provider would write it for relation 2, with overrides. */
function alert(name, expr, o = {}) {
  const { labels = {}, annotations = { summary: "evil alert" }, ...rest } = o;
  return {
    alert: name,
    expr,
    for: "5m",
    labels: { severity: "warning", ...EVIL_TOPO, ...labels },
    annotations,
    ...rest,
  };
}

function record(name, expr, o = {}) {
  const { labels = {}, ...rest } = o;
  return { record: name, expr, labels: { ...EVIL_TOPO, ...labels }, ...rest };
}

// --- cases ---------------------------------------------------------------------------------------
const cases = [];
const ids = new Set();

/**
 * Adds a case. `expect` fields (all optional, see the README): rejected, accepted (relation ids),
 * jobs/rules ({id: "none"|"some"}), targets/absentTargets ({id: [target]}), labels ({id: {name: value}}),
 * noLocalFileReads (ids), note (extra behaviour in words).
 */
function add(id, cls, description, relations, expect = {}, extra = {}) {
  if (ids.has(id)) throw new Error(`duplicate case id ${id}`);
  ids.add(id);
  const state = {
    model: MODEL,
    leader: true,
    ...(extra.config ? { config: extra.config } : {}),
    relations: [goodRelation(), ...relations],
  };
  cases.push({
    id,
    class: cls,
    description,
    state,
    expect: { behaviour: behaviour(relations, expect, extra), ...expect },
  });
}

function behaviour(relations, e, extra) {
  const name = (id) => {
    const r = relations.find((x) => x.id === id);
    return `relation ${id} (${r ? r.remote_app : "?"})`;
  };
  const out = [];
  for (const id of e.rejected ?? [])
    out.push(
      `${name(id)} rejected, named as metrics-endpoint:${id} with its application in render's rejected and in the unit status`,
    );
  for (const id of e.accepted ?? [])
    out.push(`${name(id)} accepted: not named in rejected or the unit status`);
  for (const [id, v] of Object.entries(e.jobs ?? {}))
    out.push(
      v === "none" ? `no scrape job from ${name(Number(id))}` : `${name(Number(id))} keeps scrape jobs`,
    );
  for (const [id, v] of Object.entries(e.rules ?? {}))
    out.push(v === "none" ? `no rules from ${name(Number(id))}` : `${name(Number(id))} keeps rules`);
  for (const [id, ts] of Object.entries(e.targets ?? {}))
    out.push(`${name(Number(id))} scrapes ${ts.join(", ")}`);
  for (const [id, ts] of Object.entries(e.absentTargets ?? {}))
    out.push(`${name(Number(id))} never scrapes ${ts.join(", ")}`);
  for (const [id, ls] of Object.entries(e.labels ?? {}))
    out.push(
      `${name(Number(id))} has a target group labelled ${Object.entries(ls)
        .map(([k, v]) => `${k}=${j(v)}`)
        .join(", ")}`,
    );
  for (const id of e.noLocalFileReads ?? [])
    out.push(`no job of ${name(id)} makes Prometheus read a local file it did not get from that relation`);
  if (e.note) out.push(e.note);
  const trusted = extra.config?.trusted_aggregators;
  const untrusted = relations.filter(
    (r) =>
      !String(trusted ?? "")
        .split(",")
        .map((s) => s.trim())
        .includes(r.remote_app),
  );
  if (untrusted.length) {
    out.push(
      `no output label juju_model_uuid/juju_application/juju_unit${untrusted.some((r) => !r.remote_model_uuid) ? "/juju_model (same model)" : ""} from ${untrusted.map((r) => name(r.id)).join(", ")} other than its true topology; honor_labels false`,
    );
  }
  out.push("good relation (1) unchanged and silent; every file written passes promtool; no crash, under 2 s");
  return out;
}

const R2 = { rejected: [2] };

// ===== control: honest relations must be kept ====================================================
add(
  "control-01-honest-same-model",
  "control",
  "An honest same-model provider with jobs, rules and two units: nothing to reject.",
  [
    rel({
      rules: groups(
        alert("EvilDown", `up{${EVIL_SEL}} < 1`),
        record("evil:up:sum", `sum by (juju_unit) (up{${EVIL_SEL}})`),
      ),
    }),
  ],
  {
    accepted: [2],
    jobs: { 2: "some" },
    rules: { 2: "some" },
    targets: { 2: ["10.2.0.1:9000", "10.2.0.2:9000"] },
  },
);

add(
  "control-02-honest-cross-model",
  "control",
  "An honest cross-model provider: its metadata names its own model and the uuid Juju reports.",
  [rel({ metadata: meta({ model: "edge", model_uuid: REMOTE_UUID }), remoteModelUuid: REMOTE_UUID })],
  {
    accepted: [2],
    jobs: { 2: "some" },
    labels: { 2: { juju_model_uuid: REMOTE_UUID, juju_application: "evil" } },
  },
);

add(
  "control-03-explicit-targets",
  "control",
  "An honest provider scraping fixed hosts that match no unit: no juju_unit a target can choose.",
  [
    rel({
      jobs: [
        job({
          static_configs: [
            { targets: ["db.example.internal:9187", "10.9.9.9:9100"], labels: { env: "prod" } },
          ],
        }),
      ],
    }),
  ],
  { accepted: [2], targets: { 2: ["db.example.internal:9187", "10.9.9.9:9100"] } },
);

add(
  "control-04-two-relations-same-app",
  "control",
  "The same honest application over two relations: both kept, rule files distinct.",
  [
    rel({ id: 2, rules: groups(alert("EvilDown", `up{${EVIL_SEL}} < 1`)) }),
    rel({ id: 3, rules: groups(alert("EvilDown", `up{${EVIL_SEL}} < 1`)) }),
  ],
  { accepted: [2, 3], rules: { 2: "some", 3: "some" } },
);

// ===== topology spoofing =========================================================================
const T = "topology-spoofing";
add(
  "topology-01-metadata-app",
  T,
  "scrape_metadata claims to be good-app (same model, right uuid).",
  [rel({ metadata: meta({ application: "good-app", unit: "good-app/0", charm_name: "good-k8s" }) })],
  R2,
);
add(
  "topology-02-metadata-uuid",
  T,
  "scrape_metadata claims another model uuid in the same model.",
  [rel({ metadata: meta({ model_uuid: OTHER_UUID }) })],
  R2,
);
add(
  "topology-03-metadata-model-name",
  T,
  "scrape_metadata claims another model name (same model: the name is vouched for).",
  [rel({ metadata: meta({ model: "prod" }) })],
  R2,
);
add(
  "topology-04-metadata-unit",
  T,
  "scrape_metadata's leader unit is good-app/0.",
  [rel({ metadata: meta({ unit: "good-app/0" }) })],
  R2,
);
add(
  "topology-05-full-impersonation",
  T,
  "Metadata, job labels and unit names all claim good-app.",
  [
    rel({
      metadata: meta({ application: "good-app", unit: "good-app/0", charm_name: "good-k8s" }),
      jobs: [job({ static_configs: [{ targets: ["*:9000"], labels: { juju_application: "good-app" } }] })],
      units: {
        "evil/0": unitBag("evil", 0, { prometheus_scrape_unit_name: "good-app/0" }),
        "evil/1": unitBag("evil", 1, { prometheus_scrape_unit_name: "good-app/1" }),
      },
    }),
  ],
  R2,
);
add(
  "topology-06-uuid-prefix-collision-good-app",
  T,
  "Metadata claims good-app with a uuid sharing the model uuid's first 8 digits: the identifier and job names equal good-app's.",
  [
    rel({
      metadata: meta({ application: "good-app", unit: "good-app/0", model_uuid: PREFIX_UUID }),
      jobs: [job({ job_name: "metrics", static_configs: [{ targets: ["*:8080"] }] })],
    }),
  ],
  R2,
);
add(
  "topology-07-uuid-prefix-collision-own-app",
  T,
  "Metadata keeps its own application but claims a uuid with the same 8-digit prefix (same identifier).",
  [rel({ metadata: meta({ model_uuid: PREFIX_UUID }) })],
  R2,
);
add(
  "topology-08-uuid-uppercase",
  T,
  "Metadata's uuid is the true uuid in upper case: output labels must still carry the exact true uuid.",
  [rel({ metadata: meta({ model_uuid: MODEL.uuid.toUpperCase() }) })],
);
add("topology-09-uuid-trailing-newline", T, "Metadata's uuid has a trailing newline.", [
  rel({ metadata: meta({ model_uuid: `${MODEL.uuid}\n` }) }),
]);
add(
  "topology-10-duplicate-json-keys",
  T,
  'scrape_metadata repeats "application": JSON\'s last value (good-app) is the claim.',
  [
    rel({
      metadata: `{"model": "cos", "model_uuid": "${MODEL.uuid}", "application": "evil", "unit": "evil/0", "application": "good-app"}`,
    }),
  ],
  R2,
);
add(
  "topology-11-homoglyph-app",
  T,
  "Metadata claims g\u043e\u043ed-app with Cyrillic o's.",
  [rel({ metadata: meta({ application: "g\u043e\u043ed-app" }) })],
  R2,
);
add(
  "topology-12-label-juju-application",
  T,
  "A job's static labels set juju_application=good-app.",
  [
    rel({
      jobs: [job({ static_configs: [{ targets: ["*:9000"], labels: { juju_application: "good-app" } }] })],
    }),
  ],
  R2,
);
add(
  "topology-13-label-juju-model-uuid",
  T,
  "A job's static labels set juju_model_uuid to another model.",
  [
    rel({
      jobs: [job({ static_configs: [{ targets: ["*:9000"], labels: { juju_model_uuid: OTHER_UUID } }] })],
    }),
  ],
  R2,
);
add(
  "topology-14-label-juju-unit",
  T,
  "A job's static labels set juju_unit=good-app/0.",
  [rel({ jobs: [job({ static_configs: [{ targets: ["*:9000"], labels: { juju_unit: "good-app/0" } }] })] })],
  R2,
);
add(
  "topology-15-label-juju-model",
  T,
  "A job's static labels set juju_model=prod in the same model.",
  [rel({ jobs: [job({ static_configs: [{ targets: ["*:9000"], labels: { juju_model: "prod" } }] })] })],
  R2,
);
add(
  "topology-16-relabel-replace",
  T,
  "relabel_configs write juju_application=good-app after the topology labels are set.",
  [
    rel({
      jobs: [job({ relabel_configs: [{ target_label: "juju_application", replacement: "good-app" }] })],
    }),
  ],
  R2,
);
add(
  "topology-17-metric-relabel-replace",
  T,
  "metric_relabel_configs rewrite juju_application on every scraped series.",
  [
    rel({
      jobs: [
        job({
          metric_relabel_configs: [
            {
              source_labels: ["__name__"],
              regex: "(.*)",
              target_label: "juju_application",
              replacement: "good-app",
            },
          ],
        }),
      ],
    }),
  ],
  R2,
);
add(
  "topology-18-metric-relabel-labelmap-exported",
  T,
  "metric_relabel_configs map exported_juju_* (what a target's own juju_* labels become) back onto juju_*.",
  [
    rel({
      jobs: [
        job({
          metric_relabel_configs: [{ action: "labelmap", regex: "exported_(juju_.*)", replacement: "$1" }],
        }),
      ],
    }),
  ],
  R2,
);
add(
  "topology-19-labelmap-static",
  T,
  "A static label x_juju_application=good-app plus labelmap x_(.*) -> $1.",
  [
    rel({
      jobs: [
        job({
          static_configs: [{ targets: ["*:9000"], labels: { x_juju_application: "good-app" } }],
          relabel_configs: [{ action: "labelmap", regex: "x_(.*)", replacement: "$1" }],
        }),
      ],
    }),
  ],
  R2,
);
add(
  "topology-20-templated-target-label",
  T,
  `A replace whose target_label is ${ref(1)}, expanded from a static label to juju_application.`,
  [
    rel({
      jobs: [
        job({
          static_configs: [{ targets: ["*:9000"], labels: { tmp: "juju_application" } }],
          relabel_configs: [
            { source_labels: ["tmp"], regex: "(.+)", target_label: ref(1), replacement: "good-app" },
          ],
        }),
      ],
    }),
  ],
  R2,
);
add(
  "topology-21-labeldrop-topology",
  T,
  "labeldrop removes juju_application, so a target's own juju_application label is kept as is.",
  [rel({ jobs: [job({ relabel_configs: [{ action: "labeldrop", regex: "juju_application" }] })] })],
  R2,
);
add(
  "topology-22-labelkeep",
  T,
  "labelkeep keeps only __* and job labels, dropping every juju_* label before the scrape.",
  [rel({ jobs: [job({ relabel_configs: [{ action: "labelkeep", regex: "__.*|job|instance" }] })] })],
  R2,
);
add(
  "topology-23-lowercase-action",
  T,
  "A lowercase action writes juju_application from a static label GOOD-APP.",
  [
    rel({
      jobs: [
        job({
          static_configs: [{ targets: ["*:9000"], labels: { src: "GOOD-APP" } }],
          relabel_configs: [
            { action: "lowercase", source_labels: ["src"], target_label: "juju_application" },
          ],
        }),
      ],
    }),
  ],
  R2,
);
add(
  "topology-24-hashmod-unit",
  T,
  "A hashmod action overwrites juju_unit.",
  [
    rel({
      jobs: [
        job({
          relabel_configs: [
            { action: "hashmod", source_labels: ["__address__"], modulus: 8, target_label: "juju_unit" },
          ],
        }),
      ],
    }),
  ],
  R2,
);
add(
  "topology-25-honor-labels",
  T,
  "The job asks for honor_labels: true, so a target's juju_* labels would win.",
  [rel({ jobs: [job({ honor_labels: true })] })],
);
add(
  "topology-26-unit-name-other-app",
  T,
  "Unit evil/0's bag says its name is good-app/0.",
  [
    rel({
      units: {
        "evil/0": unitBag("evil", 0, { prometheus_scrape_unit_name: "good-app/0" }),
        "evil/1": unitBag("evil", 1),
      },
    }),
  ],
  R2,
);
add(
  "topology-27-unit-name-unknown-unit",
  T,
  "Unit evil/0's bag says its name is evil/7, a unit that is not in the relation.",
  [
    rel({
      units: {
        "evil/0": unitBag("evil", 0, { prometheus_scrape_unit_name: "evil/7" }),
        "evil/1": unitBag("evil", 1),
      },
    }),
  ],
  R2,
);
add(
  "topology-28-unit-names-swapped",
  T,
  "Units evil/0 and evil/1 each claim the other's name.",
  [
    rel({
      units: {
        "evil/0": unitBag("evil", 0, { prometheus_scrape_unit_name: "evil/1" }),
        "evil/1": unitBag("evil", 1, { prometheus_scrape_unit_name: "evil/0" }),
      },
    }),
  ],
  R2,
);
add(
  "topology-29-unit-as-good-unit-with-good-address",
  T,
  "Unit evil/0 claims good-app/0's name, address and fqdn.",
  [
    rel({
      units: {
        "evil/0": unitBag("evil", 0, {
          prometheus_scrape_unit_name: "good-app/0",
          prometheus_scrape_unit_address: "10.1.0.1",
          prometheus_scrape_unit_fqdn: "good-app-0.good-app-endpoints.cos.svc.cluster.local",
        }),
        "evil/1": unitBag("evil", 1),
      },
    }),
  ],
  R2,
);
add("topology-30-unit-name-whitespace", T, "Unit evil/0's bag name has a trailing space.", [
  rel({
    units: {
      "evil/0": unitBag("evil", 0, { prometheus_scrape_unit_name: "evil/0 " }),
      "evil/1": unitBag("evil", 1),
    },
  }),
]);
add(
  "topology-31-no-metadata-labels-good",
  T,
  "No scrape_metadata (the aggregator format): jobs pass verbatim, labelled as good-app/0.",
  [
    rel({
      metadata: NONE,
      jobs: [
        {
          job_name: "juju_cos_f2c1b2a4_good-app_prometheus_scrape",
          static_configs: [{ targets: ["10.2.0.1:9000"], labels: { ...GOOD_TOPO, juju_unit: "good-app/0" } }],
        },
      ],
    }),
  ],
  R2,
);
add(
  "topology-32-no-metadata-bare",
  T,
  "No scrape_metadata and jobs without any label: an untrusted relation must still be pinned to its topology.",
  [rel({ metadata: NONE, jobs: [{ job_name: "bare", static_configs: [{ targets: ["10.2.0.1:9000"] }] }] })],
);
add(
  "topology-33-no-metadata-shadow-good-job",
  T,
  "No scrape_metadata; the job is named exactly like good-app's first job.",
  [
    rel({
      metadata: NONE,
      jobs: [
        {
          job_name: "juju_cos_f2c1b2a4_good-app_prometheus_scrape_metrics-0",
          metrics_path: "/metrics",
          static_configs: [{ targets: ["10.2.0.1:8080"], labels: { tier: "web" } }],
        },
      ],
    }),
  ],
);
add(
  "topology-34-no-metadata-shadow-self-job",
  T,
  "No scrape_metadata; the job is named prometheus, like the charm's own self-scrape job.",
  [
    rel({
      metadata: NONE,
      jobs: [{ job_name: "prometheus", static_configs: [{ targets: ["10.2.0.1:9090"] }] }],
    }),
  ],
);
add(
  "topology-35-no-metadata-rules-good",
  T,
  "No scrape_metadata; the rules carry good-app's topology labels.",
  [
    rel({
      metadata: NONE,
      jobs: NONE,
      rules: {
        groups: [
          {
            name: "cos_f2c1b2a4_good_app_x_rules",
            rules: [{ alert: "Fake", expr: `up{${GOOD_SEL}} < 1`, labels: GOOD_TOPO }],
          },
        ],
      },
    }),
  ],
  R2,
);
add(
  "topology-36-cross-model-claims-local",
  T,
  "Cross-model relation whose metadata claims the Prometheus model's own uuid.",
  [rel({ remoteModelUuid: REMOTE_UUID, metadata: meta({ model: "cos", model_uuid: MODEL.uuid }) })],
  R2,
);
add(
  "topology-37-cross-model-claims-good-app",
  T,
  "Cross-model relation whose metadata claims application good-app.",
  [
    rel({
      remoteModelUuid: REMOTE_UUID,
      metadata: meta({ model: "edge", model_uuid: REMOTE_UUID, application: "good-app", unit: "good-app/0" }),
    }),
  ],
  R2,
);
add(
  "topology-38-cross-model-other-uuid",
  T,
  "Cross-model relation whose metadata claims a third model uuid.",
  [rel({ remoteModelUuid: REMOTE_UUID, metadata: meta({ model: "edge", model_uuid: OTHER_UUID }) })],
  R2,
);
add(
  "topology-39-cross-model-prefix-collision",
  T,
  "Cross-model relation from a model whose uuid shares our 8-digit prefix, honestly described (model name claimed as cos): kept, labelled with its own uuid.",
  [rel({ remoteModelUuid: PREFIX_UUID, metadata: meta({ model: "cos", model_uuid: PREFIX_UUID }) })],
  { accepted: [2], labels: { 2: { juju_model_uuid: PREFIX_UUID } } },
);
add(
  "topology-40-cross-model-no-metadata",
  T,
  "Cross-model relation without metadata whose jobs claim the local model.",
  [
    rel({
      remoteModelUuid: REMOTE_UUID,
      metadata: NONE,
      jobs: [
        {
          job_name: "remote",
          static_configs: [
            {
              targets: ["10.2.0.1:9000"],
              labels: { juju_model: "cos", juju_model_uuid: MODEL.uuid, juju_application: "evil" },
            },
          ],
        },
      ],
    }),
  ],
  R2,
);
add(
  "topology-41-cross-model-rule-labels",
  T,
  "Cross-model relation whose rules label alerts with the Prometheus model's uuid.",
  [
    rel({
      remoteModelUuid: REMOTE_UUID,
      metadata: meta({ model: "edge", model_uuid: REMOTE_UUID }),
      rules: groups(alert("X", "up < 1", { labels: { juju_model: "edge", juju_model_uuid: MODEL.uuid } })),
    }),
  ],
  R2,
);
add(
  "topology-42-metadata-missing-uuid",
  T,
  "scrape_metadata lacks model_uuid.",
  [rel({ metadata: { model: "cos", application: "evil" } })],
  R2,
);
add(
  "topology-43-metadata-invalid-uuid",
  T,
  "scrape_metadata's uuid is not a uuid.",
  [rel({ metadata: meta({ model_uuid: "not-a-uuid" }) })],
  R2,
);
add(
  "topology-44-metadata-nul",
  T,
  "scrape_metadata's application is evil\\u0000good-app.",
  [rel({ metadata: meta({ application: "evil\u0000good-app" }) })],
  R2,
);
add(
  "topology-45-rules-label-other-app",
  T,
  "Honest metadata, but every rule is labelled juju_application=good-app.",
  [rel({ rules: groups(alert("X", `up{${GOOD_SEL}} < 1`, { labels: { juju_application: "good-app" } })) })],
  R2,
);
add(
  "topology-46-explicit-target-good-fqdn",
  T,
  "An explicit target on good-app/0's fqdn: it must not be attributed to good-app/0.",
  [
    rel({
      jobs: [
        job({ static_configs: [{ targets: ["good-app-0.good-app-endpoints.cos.svc.cluster.local:8080"] }] }),
      ],
    }),
  ],
);
add(
  "topology-47-unit-fqdn-of-good",
  T,
  "Unit evil/0 reports good-app/0's fqdn and targets it explicitly: matched to evil/0 at most.",
  [
    rel({
      units: {
        "evil/0": unitBag("evil", 0, {
          prometheus_scrape_unit_fqdn: "good-app-0.good-app-endpoints.cos.svc.cluster.local",
        }),
        "evil/1": unitBag("evil", 1),
      },
      jobs: [
        job({ static_configs: [{ targets: ["good-app-0.good-app-endpoints.cos.svc.cluster.local:8080"] }] }),
      ],
    }),
  ],
);
add(
  "topology-48-two-hostiles-cross-claim",
  T,
  "Two hostile relations: evil-a claims to be evil-b, evil-b is honest.",
  [
    rel({ id: 2, app: "evil-a", metadata: meta({ application: "evil-b", unit: "evil-b/0" }) }),
    rel({ id: 3, app: "evil-b" }),
  ],
  { rejected: [2], accepted: [3] },
);
add(
  "topology-49-replay-good-data",
  T,
  "Relation 2 (evil) replays good-app's app and unit data byte for byte.",
  [
    (() => {
      const g = goodRelation();
      const units = {};
      for (const [k, v] of Object.entries(g.units)) units[k.replace("good-app", "evil")] = v;
      return { id: 2, remote_app: "evil", app_data: g.app_data, units };
    })(),
  ],
  R2,
);

// ===== rule scope escapes ======================================================================
const S = "rule-scope";
// Rules here carry no topology labels of their own (a hostile provider need not add them), so
// whatever labels the expression itself produces reach the output.
const bareAlert = (name, expr, o = {}) => {
  const { labels = {}, annotations = { summary: "evil alert" }, ...rest } = o;
  return { alert: name, expr, for: "5m", labels: { severity: "warning", ...labels }, annotations, ...rest };
};
const scope = (id, description, expr, expect = R2, o = {}) =>
  add(id, S, description, [rel({ rules: groups(bareAlert("Escape", expr, o)) })], expect);
scope(
  "scope-01-label-replace-app",
  "label_replace mints juju_application=good-app.",
  `label_replace(up, "juju_application", "good-app", "", "")`,
);
scope(
  "scope-02-label-join-app",
  "label_join writes juju_application from job.",
  `label_join(up, "juju_application", ",", "job")`,
);
scope(
  "scope-03-count-values-app",
  "count_values puts values into a juju_application label.",
  `count_values("juju_application", up)`,
);
scope(
  "scope-04-count-values-unit",
  "count_values puts values into a juju_unit label.",
  `count_values("juju_unit", up)`,
);
scope(
  "scope-05-label-replace-from-label",
  "label_replace copies job into juju_unit.",
  `label_replace(up, "juju_unit", "$1", "job", "(.*)")`,
);
scope(
  "scope-06-label-replace-escaped-name",
  'label_replace\'s destination is spelled with a Go escape: "\\u006auju_application".',
  `label_replace(up, "\\u006auju_application", "good-app", "", "")`,
);
scope(
  "scope-07-label-replace-raw-string",
  "label_replace's destination is a raw `juju_application` string.",
  "label_replace(up, `juju_application`, `good-app`, ``, ``)",
);
scope(
  "scope-08-label-replace-in-aggregation",
  "label_replace to juju_model_uuid inside sum by.",
  `sum by (juju_model_uuid) (label_replace(up, "juju_model_uuid", "${OTHER_UUID}", "", ""))`,
);
scope(
  "scope-09-label-replace-vector",
  "label_replace on vector(1) mints a good-app series from nothing.",
  `label_replace(vector(1), "juju_application", "good-app", "", "")`,
);
scope(
  "scope-10-multiline-comment",
  "A comment hides a second line that mints juju_application.",
  `up{${EVIL_SEL}} < 1 # harmless\nor label_replace(up, "juju_application", "good-app", "", "")`,
);
scope("scope-11-query-annotation", "An annotation template queries good-app's series.", "up < 1", R2, {
  annotations: {
    summary: `{{ with query "up{juju_application='good-app'}" }}{{ . | first | value }}{{ end }}`,
  },
});
scope("scope-12-query-pipeline", "An annotation pipes a string into query.", "up < 1", R2, {
  annotations: { description: `{{ "sum(up{juju_application=\\"good-app\\"})" | query | first | value }}` },
});
scope("scope-13-query-label", "A non-topology label template calls query.", "up < 1", R2, {
  labels: { leak: `{{ with query "count(up)" }}{{ . | first | value }}{{ end }}` },
});
scope("scope-14-templated-app-label", "The rule's juju_application label is a template.", "up < 1", R2, {
  labels: { juju_application: "{{ $labels.job }}" },
});
scope("scope-15-label-other-uuid", "The rule's juju_model_uuid label names another model.", "up < 1", R2, {
  labels: { juju_model_uuid: OTHER_UUID },
});
scope("scope-16-label-other-unit", "The rule's juju_unit label is good-app/0.", "up < 1", R2, {
  labels: { juju_unit: "good-app/0" },
});
add(
  "scope-17-record-up-as-good",
  S,
  "A recording rule records `up` labelled as good-app.",
  [
    rel({
      rules: groups(
        record("up", "vector(0)", { labels: { juju_application: "good-app", juju_unit: "good-app/0" } }),
      ),
    }),
  ],
  R2,
);
scope(
  "scope-18-absent-other-app",
  "absent() returns the labels of its equality matchers: here good-app's.",
  `absent(nonexistent_metric{juju_application="good-app"})`,
  {},
);
scope(
  "scope-19-explicit-other-selector",
  "The selector asks for good-app's series by label.",
  `up{juju_application="good-app"} == 0`,
  {},
);
scope(
  "scope-20-any-name-selector",
  "The selector matches every series by name regex.",
  `count({__name__=~".+"}) > 0`,
  {},
);
scope(
  "scope-21-subquery",
  "A subquery hides the selector one level down.",
  `max_over_time(http_requests_total[10m:1m]) > 0`,
  {},
);
scope(
  "scope-22-alerts-of-other",
  "The rule reads good-app's ALERTS series.",
  `ALERTS{alertname="GoodAppDown"}`,
  {},
);
scope(
  "scope-23-join-other-recorded",
  "The rule joins on good-app's recorded series.",
  `up * on() group_left(juju_unit) good:http_requests:rate5m`,
  {},
);
scope(
  "scope-24-name-matcher",
  "The metric name is given as a __name__ matcher together with good-app's labels.",
  `{__name__="up", juju_application="good-app", juju_unit="good-app/0"} < 1`,
  {},
);
scope(
  "scope-25-offset-and-at",
  "offset and @ modifiers on the selector.",
  `up offset 1h < 1 or up @ start() < 1`,
  {},
);
add(
  "scope-26-group-labels",
  S,
  "The group has a `labels` field (Prometheus 3 only) that labels every rule juju_application=good-app.",
  [
    rel({
      rules: {
        groups: [
          {
            name: "cos_f2c1b2a4_evil_evil_rules",
            labels: { juju_application: "good-app" },
            rules: [alert("X", "up < 1")],
          },
        ],
      },
    }),
  ],
  R2,
);
scope(
  "scope-27-info-function",
  "info() (Prometheus 3, experimental) joins labels of other series.",
  `info(up)`,
);
scope(
  "scope-28-holt-winters",
  "holt_winters is valid in Prometheus 2.42 but not in Prometheus 3, which production runs.",
  `holt_winters(up[10m], 0.5, 0.5) > 0`,
);
scope(
  "scope-29-sort-by-label",
  "sort_by_label (Prometheus 3 only) is unknown to 2.42.",
  `sort_by_label(up, "instance")`,
);
add(
  "scope-30-record-into-good-name",
  S,
  "A recording rule writes good-app's record name, with its own labels: allowed, but only its own topology.",
  [
    rel({
      rules: groups(
        record("good:http_requests:rate5m", `sum by (juju_unit) (rate(http_requests_total[5m]))`),
      ),
    }),
  ],
);
add("scope-31-record-unlabelled", S, "A recording rule of vector(1) and no labels at all.", [
  rel({
    rules: {
      groups: [{ name: "cos_f2c1b2a4_evil_evil_rules", rules: [{ record: "evil:one", expr: "vector(1)" }] }],
    },
  }),
]);
add(
  "scope-32-record-label-replace-unit",
  S,
  "A recording rule label_replace's juju_unit to good-app/0.",
  [rel({ rules: groups(record("evil:x", `label_replace(up, "juju_unit", "good-app/0", "", "")`)) })],
  R2,
);
scope(
  "scope-33-own-label-template",
  "A non-topology label templated from $labels.juju_application: harmless.",
  "up < 1",
  {},
  {
    labels: { owner: "{{ $labels.juju_application }}" },
  },
);
scope(
  "scope-34-case-variant-label",
  "label_replace into JUJU_APPLICATION (a different label name).",
  `label_replace(up, "JUJU_APPLICATION", "good-app", "", "")`,
  {},
);
scope(
  "scope-35-regex-matcher-other",
  "A regex matcher on juju_application that includes good-app.",
  `up{juju_application=~"evil|good-app"} < 1`,
  {},
);
scope(
  "scope-36-or-vector-minted",
  "`or` with a label_replace'd vector(1) that mints a good-app/0 unit.",
  `up < 1 or label_replace(vector(1), "juju_unit", "good-app/0", "", "")`,
);

// ===== regex attacks =============================================================================
const X = "regex";
const relabelRegex = (id, description, cfg, expect = R2, o = {}) =>
  add(
    id,
    X,
    description,
    [
      rel({
        jobs: [
          job({
            ...(o.static ? { static_configs: [{ targets: ["*:9000"], labels: o.static }] } : {}),
            relabel_configs: [cfg],
          }),
        ],
      }),
    ],
    expect,
  );
relabelRegex("regex-01-lookahead", "A relabel regex with a lookahead, which RE2 does not have.", {
  source_labels: ["__address__"],
  regex: "(?=x).*",
  target_label: "x",
});
relabelRegex("regex-02-backreference", "A relabel regex with a backreference.", {
  source_labels: ["__address__"],
  regex: "(a)\\1",
  target_label: "x",
});
relabelRegex("regex-03-possessive", "A relabel regex with a possessive quantifier.", {
  source_labels: ["__address__"],
  regex: "a++",
  target_label: "x",
});
relabelRegex(
  "regex-04-named-group-angle",
  "(?<name>...) groups: Go accepts them only from 1.22, Prometheus 2.42 refuses them.",
  {
    source_labels: ["__address__"],
    regex: "(?<host>[^:]+):.*",
    target_label: "host",
    replacement: ref("host"),
  },
);
relabelRegex("regex-05-backslash-C", "\\C (any byte) is valid in RE2 but not in Go's regexp.", {
  source_labels: ["__address__"],
  regex: "\\C+",
  target_label: "x",
});
relabelRegex("regex-06-backslash-Z", "\\Z is Perl/PCRE, not RE2.", {
  source_labels: ["__address__"],
  regex: "a\\Z",
  target_label: "x",
});
relabelRegex("regex-07-repeat-1001", "A repeat count above RE2's limit of 1000.", {
  source_labels: ["__address__"],
  regex: "a{1001}",
  target_label: "x",
});
relabelRegex("regex-08-nested-repeat-too-big", "Nested repeats that RE2 refuses as too large.", {
  source_labels: ["__address__"],
  regex: "(((a{10}){10}){10}){10}",
  target_label: "x",
});
relabelRegex(
  "regex-09-labeldrop-case-insensitive",
  "labeldrop (?i)JUJU_APPLICATION: drops the topology label under RE2 case folding.",
  { action: "labeldrop", regex: "(?i)JUJU_APPLICATION" },
);
relabelRegex(
  "regex-10-labeldrop-posix-class",
  "labeldrop [[:alpha:]_]+ drops every juju_* label under RE2 (JavaScript reads it differently).",
  { action: "labeldrop", regex: "[[:alpha:]_]+" },
);
relabelRegex("regex-11-labeldrop-quoted", "labeldrop \\Qjuju_application\\E (RE2 literal quoting).", {
  action: "labeldrop",
  regex: "\\Qjuju_application\\E",
});
relabelRegex(
  "regex-12-labeldrop-unicode-class",
  "labeldrop \\pL+_\\pL+ (Unicode classes) matches juju_application.",
  { action: "labeldrop", regex: "\\pL+_\\pL+" },
);
relabelRegex(
  "regex-13-labelmap-case-insensitive",
  "labelmap (?i)X_(JUJU_.*) maps a static x_juju_application onto juju_application.",
  { action: "labelmap", regex: "(?i)X_(JUJU_.*)", replacement: "$1" },
  R2,
  { static: { x_juju_application: "good-app" } },
);
relabelRegex("regex-14-labeldrop-hex-escape", "labeldrop \\x{6a}uju_.* (RE2 hex escape).", {
  action: "labeldrop",
  regex: "\\x{6a}uju_.*",
});
relabelRegex("regex-15-labeldrop-dotall", "labeldrop juju_(?s:.)* with a flag group.", {
  action: "labeldrop",
  regex: "juju_(?s:.)*",
});
relabelRegex("regex-16-templated-target-suffix", "target_label juju_$1 built from a regex group.", {
  source_labels: ["__address__"],
  regex: "(?:.*)",
  target_label: `juju_${ref(1)}application`,
  replacement: "good-app",
});
add(
  "regex-17-catastrophic-relabel-long-name",
  X,
  "A backtracking-prone (x+x+)+y labeldrop next to a 60-character label name: linear in RE2, exponential in a backtracking engine.",
  [
    rel({
      jobs: [
        job({
          static_configs: [{ targets: ["*:9000"], labels: { ["x".repeat(60)]: "v" } }],
          relabel_configs: [{ action: "labeldrop", regex: "(x+x+)+y" }],
        }),
      ],
    }),
  ],
);
add(
  "regex-18-catastrophic-metric-relabel-value",
  X,
  "(a|a)*b on a 60-character static label value in metric_relabel_configs.",
  [
    rel({
      jobs: [
        job({
          static_configs: [{ targets: ["*:9000"], labels: { filler: "a".repeat(60) } }],
          metric_relabel_configs: [{ source_labels: ["filler"], regex: "(a|a)*b", action: "drop" }],
        }),
      ],
    }),
  ],
);
add(
  "regex-19-catastrophic-promql-long-app",
  X,
  'A 40-x application name and a rule matcher juju_application=~"(x+x+)+y".',
  [
    rel({
      app: "x".repeat(40),
      rules: {
        groups: [
          {
            name: "g",
            rules: [{ alert: "A", expr: `up{juju_application=~"(x+x+)+y"} < 1`, labels: { severity: "x" } }],
          },
        ],
      },
    }),
  ],
);
add("regex-20-huge-alternation", X, "A relabel regex of 50,000 alternatives (about 400 kB).", [
  rel({
    jobs: `[{"job_name":"x","static_configs":[{"targets":["*:9000"]}],"relabel_configs":[{"source_labels":["__address__"],"regex":"@@SEQ|50000|%7C|h#@@","action":"keep"}]}]`,
  }),
]);
add(
  "regex-21-promql-named-group",
  X,
  "A PromQL regex matcher with (?<n>...), refused by Prometheus 2.42.",
  [rel({ rules: groups(alert("A", `up{instance=~"(?<host>.*):9000"} < 1`)) })],
  R2,
);
add(
  "regex-22-promql-repeat-1001",
  X,
  "A PromQL regex matcher with a repeat count above 1000.",
  [rel({ rules: groups(alert("A", `up{instance=~"a{1001}"} < 1`)) })],
  R2,
);
add("regex-23-promql-case-insensitive-topology", X, 'A rule matcher juju_application=~"(?i)GOOD-APP".', [
  rel({ rules: groups(alert("A", `up{juju_application=~"(?i)GOOD-APP"} < 1`)) }),
]);
add(
  "regex-24-lone-surrogate-regex",
  X,
  "A relabel regex holding a lone UTF-16 surrogate (not representable in UTF-8).",
  [
    rel({
      jobs: `[{"job_name":"x","static_configs":[{"targets":["*:9000"]}],"relabel_configs":[{"source_labels":["__address__"],"regex":"a\\ud800b","target_label":"x"}]}]`,
    }),
  ],
);
add(
  "regex-25-labeldrop-plain",
  X,
  "labeldrop [j]uju_.* (plain regex any engine reads the same way).",
  [rel({ jobs: [job({ relabel_configs: [{ action: "labeldrop", regex: "[j]uju_.*" }] })] })],
  R2,
);

// ===== resource exhaustion =======================================================================
const E = "resource-exhaustion";
add(
  "resource-01-deep-array-jobs",
  E,
  "scrape_jobs nested 100,000 arrays deep.",
  [rel({ jobs: "@@REPEAT|100000|[@@@@REPEAT|100000|]@@" })],
  R2,
);
add(
  "resource-02-deep-object-params",
  E,
  "A job's params nested 100,000 objects deep.",
  [
    rel({
      jobs: `[{"job_name":"x","static_configs":[{"targets":["*:9000"]}],"params":@@REPEAT|100000|{"a":@@1@@REPEAT|100000|}@@}]`,
    }),
  ],
  R2,
);
add(
  "resource-03-deep-rules",
  E,
  "A rule's labels nested 50,000 objects deep.",
  [
    rel({
      rules: `{"groups":[{"name":"g","rules":[{"alert":"A","expr":"up","labels":@@REPEAT|50000|{"a":@@"x"@@REPEAT|50000|}@@}]}]}`,
    }),
  ],
  R2,
);
add(
  "resource-04-deep-metadata",
  E,
  "scrape_metadata's charm_name nested 100,000 arrays deep.",
  [
    rel({
      metadata: `{"model":"cos","model_uuid":"${MODEL.uuid}","application":"evil","unit":"evil/0","charm_name":@@REPEAT|100000|[@@"x"@@REPEAT|100000|]@@}`,
    }),
  ],
  R2,
);
add(
  "resource-05-moderate-depth-labels",
  E,
  "A static label value nested 3,000 arrays deep (parses, but recursion may not survive).",
  [
    rel({
      jobs: `[{"job_name":"x","static_configs":[{"targets":["*:9000"],"labels":{"a":@@REPEAT|3000|[@@"x"@@REPEAT|3000|]@@}}]}]`,
    }),
  ],
  R2,
);
add("resource-06-huge-job-name", E, "A 1 MB job_name.", [
  rel({ jobs: `[{"job_name":"@@REPEAT|1000000|a@@","static_configs":[{"targets":["*:9000"]}]}]` }),
]);
add("resource-07-huge-label-value", E, "A 4 MB static label value.", [
  rel({
    jobs: `[{"job_name":"x","static_configs":[{"targets":["*:9000"],"labels":{"blob":"@@REPEAT|4000000|v@@"}}]}]`,
  }),
]);
add(
  "resource-08-targets-over-bound",
  E,
  "One job with 6,000 explicit targets, over the 5,000 targets per job bound.",
  [
    rel({
      jobs: `[{"job_name":"x","static_configs":[{"targets":[@@SEQ|6000|,|"h#.evil.example:9000"@@]}]}]`,
    }),
  ],
  R2,
);
add(
  "resource-09-targets-at-bound",
  E,
  "One job with exactly 5,000 explicit targets, at the bound.",
  [
    rel({
      jobs: `[{"job_name":"x","static_configs":[{"targets":[@@SEQ|5000|,|"h#.evil.example:9000"@@]}]}]`,
    }),
  ],
  { accepted: [2], jobs: { 2: "some" } },
);
add("resource-10-wildcard-ports", E, "3,000 wildcard ports on 2 units (6,000 targets in total).", [
  rel({ jobs: `[{"job_name":"x","static_configs":[{"targets":[@@SEQ|3000|,|"*:1#"@@]}]}]` }),
]);
add("resource-11-units-6000", E, "6,000 units, each with a wildcard target.", [
  rel({
    unitsGenerate: {
      count: 6000,
      bag: { prometheus_scrape_unit_address: "@@IP4@@", prometheus_scrape_unit_name: "evil/@@N@@" },
    },
  }),
]);
add("resource-12-units-20000", E, "20,000 units.", [
  rel({
    unitsGenerate: {
      count: 20000,
      bag: { prometheus_scrape_unit_address: "@@IP4@@", prometheus_scrape_unit_name: "evil/@@N@@" },
    },
  }),
]);
add("resource-13-static-configs-10000", E, "10,000 static_configs entries in one job.", [
  rel({
    jobs: `[{"job_name":"x","static_configs":[@@SEQ|10000|,|{"targets":["h#.evil.example:9000"],"labels":{"n":"#"}}@@]}]`,
  }),
]);
add("resource-14-rules-20000", E, "20,000 alert rules in one group.", [
  rel({
    rules: `{"groups":[{"name":"g","rules":[@@SEQ|20000|,|{"alert":"A#","expr":"up > #","labels":${j(EVIL_TOPO)}}@@]}]}`,
  }),
]);
add("resource-15-groups-5000", E, "5,000 rule groups.", [
  rel({
    rules: `{"groups":[@@SEQ|5000|,|{"name":"g#","rules":[{"record":"evil:r#","expr":"up","labels":${j(EVIL_TOPO)}}]}@@]}`,
  }),
]);
add("resource-16-long-sum-expr", E, "An expression of 20,000 terms: up + up + ...", [
  rel({
    rules: `{"groups":[{"name":"g","rules":[{"alert":"A","expr":"@@SEQ|20000| + |up@@ > 0","labels":${j(EVIL_TOPO)}}]}]}`,
  }),
]);
add("resource-17-nested-parens", E, "An expression nested in 20,000 parentheses.", [
  rel({
    rules: `{"groups":[{"name":"g","rules":[{"alert":"A","expr":"@@REPEAT|20000|(@@up@@REPEAT|20000|)@@ > 0","labels":${j(EVIL_TOPO)}}]}]}`,
  }),
]);
add("resource-18-nested-calls", E, "5,000 nested abs() calls.", [
  rel({
    rules: `{"groups":[{"name":"g","rules":[{"alert":"A","expr":"@@REPEAT|5000|abs(@@up@@REPEAT|5000|)@@ > 0","labels":${j(EVIL_TOPO)}}]}]}`,
  }),
]);
add("resource-19-labels-100000", E, "100,000 labels on one target group.", [
  rel({
    jobs: `[{"job_name":"x","static_configs":[{"targets":["*:9000"],"labels":{@@SEQ|100000|,|"l#":"v"@@}}]}]`,
  }),
]);
add("resource-20-params-200000", E, "A params list of 200,000 values.", [
  rel({
    jobs: `[{"job_name":"x","static_configs":[{"targets":["*:9000"]}],"params":{"a":[@@SEQ|200000|,|"#"@@]}}]`,
  }),
]);
add("resource-21-huge-unit-address", E, "A 1 MB unit address.", [
  rel({
    units: {
      "evil/0": unitBag("evil", 0, { prometheus_scrape_unit_address: "@@REPEAT|1000000|a@@" }),
      "evil/1": unitBag("evil", 1),
    },
  }),
]);
add("resource-22-duplicate-job-names-10000", E, "10,000 jobs all named dup (each needs a dedupe hash).", [
  rel({
    jobs: `[@@SEQ|10000|,|{"job_name":"dup","static_configs":[{"targets":["h#.evil.example:9000"]}]}@@]`,
  }),
]);
add("resource-23-relabel-10000", E, "10,000 relabel_configs in one job.", [
  rel({
    jobs: `[{"job_name":"x","static_configs":[{"targets":["*:9000"]}],"relabel_configs":[@@SEQ|10000|,|{"source_labels":["__address__"],"target_label":"x#","replacement":"v"}@@]}]`,
  }),
]);
add("resource-24-nul-escapes", E, "A label value of 1,000,000 escaped NUL characters.", [
  rel({
    jobs: `[{"job_name":"x","static_configs":[{"targets":["*:9000"],"labels":{"nul":"@@REPEAT|1000000|\\u0000@@"}}]}]`,
  }),
]);
add("resource-25-huge-annotation", E, "A 4 MB alert annotation.", [
  rel({
    rules: `{"groups":[{"name":"g","rules":[{"alert":"A","expr":"up < 1","labels":${j(EVIL_TOPO)},"annotations":{"d":"@@REPEAT|4000000|x@@"}}]}]}`,
  }),
]);
add("resource-26-identical-jobs-5000", E, "5,000 identical jobs (the dedupe keeps one).", [
  rel({
    jobs: `[@@REPEAT|4999|{"job_name":"same","static_configs":[{"targets":["*:9000"]}]},@@{"job_name":"same","static_configs":[{"targets":["*:9000"]}]}]`,
  }),
]);

// ===== output Prometheus cannot read (YAML, escaping, file names) ===============================
const Y = "unreadable-output";
const labelled = (labels) => [job({ static_configs: [{ targets: ["*:9000"], labels }] })];
add(
  "yaml-01-u2028",
  Y,
  "A label value with U+2028 (a line break to YAML 1.1 and yaml.v2).",
  [rel({ jobs: labelled({ note: "a\u2028b\u2029c" }) })],
  { accepted: [2], labels: { 2: { note: "a\u2028b\u2029c" } } },
);
add(
  "yaml-02-nel",
  Y,
  "A label value with U+0085 (NEL, a YAML 1.1 line break).",
  [rel({ jobs: labelled({ note: "a\u0085b" }) })],
  { accepted: [2], labels: { 2: { note: "a\u0085b" } } },
);
add(
  "yaml-03-bom",
  Y,
  "A label value with a byte-order mark inside and at the start.",
  [rel({ jobs: labelled({ note: "\ufeffa\ufeffb" }) })],
  { accepted: [2], labels: { 2: { note: "\ufeffa\ufeffb" } } },
);
add(
  "yaml-04-control-chars",
  Y,
  "A label value with C0 controls, DEL and C1 controls.",
  [rel({ jobs: labelled({ note: "a\u0001\u0007\u0008\u000b\u000c\u001b\u001f\u007f\u0080\u009fz" }) })],
  { accepted: [2] },
);
add("yaml-05-nul", Y, "A label value with NUL characters.", [rel({ jobs: labelled({ note: "a\u0000b" }) })], {
  accepted: [2],
});
add("yaml-06-lone-surrogate", Y, "A label value with a lone surrogate (not valid Unicode).", [
  rel({ jobs: `[{"job_name":"x","static_configs":[{"targets":["*:9000"],"labels":{"note":"a\\udc00b"}}]}]` }),
]);
add(
  "yaml-07-astral",
  Y,
  "A label value with astral characters (emoji), which must not become surrogate escapes.",
  [rel({ jobs: labelled({ note: "ok \u{1F600} \u{10FFFF}" }) })],
  { accepted: [2], labels: { 2: { note: "ok \u{1F600} \u{10FFFF}" } } },
);
const SPECIALS = [
  "yes",
  "no",
  "on",
  "off",
  "y",
  "n",
  "~",
  "null",
  "true",
  "1e3",
  "0x10",
  "012",
  ".inf",
  "-.nan",
  "-",
  "- x",
  "? x",
  ": x",
  "#x",
  "x #y",
  "&a",
  "*a",
  "!t",
  "%x",
  "@x",
  "`x",
  "|",
  "> x",
  "'",
  '"',
  "{a}",
  "[a]",
  " lead",
  "trail ",
  "a: b",
  "<<",
  "= x",
  "\\",
  "\t",
  "0o17",
  "1_000",
  "2001-01-01",
  "+1",
  "1:20",
];
add(
  "yaml-08-special-scalars",
  Y,
  "Label values that YAML would read as something else unless quoted.",
  [rel({ jobs: labelled(Object.fromEntries(SPECIALS.map((v, i) => [`l${i}`, v]))) })],
  { accepted: [2], labels: { 2: Object.fromEntries(SPECIALS.map((v, i) => [`l${i}`, v])) } },
);
add(
  "yaml-09-param-merge-key",
  Y,
  "A params key `<<` (a legitimate HTTP parameter name; a YAML merge key when unquoted).",
  [rel({ jobs: [job({ params: { "<<": ["x"], module: ["m"] } })] })],
  { accepted: [2] },
);
add(
  "yaml-10-param-special-keys",
  Y,
  "params keys that YAML reads as null, booleans or indicators.",
  [
    rel({
      jobs: [
        job({
          params: {
            "~": ["a"],
            null: ["b"],
            true: ["c"],
            "? k": ["d"],
            "- k": ["e"],
            "#": ["f"],
            "": ["g"],
            "a: b": ["h"],
          },
        }),
      ],
    }),
  ],
  {},
);
add("yaml-11-job-name-newline", Y, "A job_name with a newline and a YAML list marker.", [
  rel({ jobs: [job({ job_name: "x\n- job_name: injected" })] }),
]);
add("yaml-12-job-name-indicators", Y, "A job_name with `: `, ` #`, quotes and braces.", [
  rel({ jobs: [job({ job_name: "a: b #c 'd' \"e\" {f} [g]" })] }),
]);
add("yaml-13-metrics-path-u2028", Y, "A metrics_path with U+2028 and #.", [
  rel({ jobs: [job({ metrics_path: "/m\u2028x#y" })] }),
]);
add(
  "yaml-14-label-value-injection",
  Y,
  "A label value that would add juju_application: good-app if written unescaped.",
  [rel({ jobs: labelled({ note: "x\n    juju_application: good-app\n    juju_unit: good-app/0" }) })],
  { accepted: [2] },
);
add(
  "yaml-15-address-injection",
  Y,
  "A unit address that would add good-app's target to the list if written unescaped.",
  [
    rel({
      units: {
        "evil/0": unitBag("evil", 0, { prometheus_scrape_unit_address: "10.2.0.1\n- 10.1.0.1" }),
        "evil/1": unitBag("evil", 1),
      },
    }),
  ],
  { absentTargets: { 2: ["10.1.0.1:9000", "10.1.0.1:8080"] } },
);
add(
  "yaml-16-group-name-traversal",
  Y,
  "No metadata: the file name comes from the first group name, ../../../../tmp/pwn.",
  [
    rel({
      metadata: NONE,
      jobs: NONE,
      rules: { groups: [{ name: "../../../../tmp/pwn", rules: [{ alert: "A", expr: "up < 1" }] }] },
    }),
  ],
);
add(
  "yaml-17-group-name-300",
  Y,
  "No metadata: a 300-character first group name (file name over 255 bytes).",
  [
    rel({
      metadata: NONE,
      jobs: NONE,
      rules: { groups: [{ name: "g".repeat(300), rules: [{ alert: "A", expr: "up < 1" }] }] },
    }),
  ],
);
add(
  "yaml-18-group-name-emoji",
  Y,
  "No metadata: a first group name of 100 emoji (200 UTF-16 units, 400 bytes).",
  [
    rel({
      metadata: NONE,
      jobs: NONE,
      rules: { groups: [{ name: "\u{1F600}".repeat(100), rules: [{ alert: "A", expr: "up < 1" }] }] },
    }),
  ],
);
const PEM =
  "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUZm9vYmFyYmF6cXV4MAoGCCqGSM49BAMCMA8xDTALBgNVBAMMBHRlc3QwHhcNMjQwMTAxMDAwMDAwWhcNMzQwMTAxMDAwMDAwWjAPMQ0wCwYDVQQDDAR0ZXN0\n-----END CERTIFICATE-----\n";
add(
  "yaml-19-job-name-traversal-tls",
  Y,
  "A job_name ../../../../tmp/pwn with a TLS CA: the CA file is named after the job.",
  [
    rel({
      metadata: NONE,
      jobs: [
        {
          job_name: "../../../../tmp/pwn",
          scheme: "https",
          tls_config: { ca_file: PEM },
          static_configs: [{ targets: ["10.2.0.1:9000"] }],
        },
      ],
    }),
  ],
);
add("yaml-20-job-name-300-tls", Y, "A 300-character job_name with a TLS CA (CA file name over 255 bytes).", [
  rel({ jobs: [job({ job_name: "j".repeat(300), scheme: "https", tls_config: { ca_file: PEM } })] }),
]);
add(
  "yaml-21-annotation-specials",
  Y,
  "Annotations with templates, U+2028, NEL, quotes and YAML indicators.",
  [
    rel({
      rules: groups(
        alert("A", `up{${EVIL_SEL}} < 1`, {
          annotations: {
            summary: "{{ $value }}",
            description: "- a: b #c\u2028d\u0085e 'f' \"g\" {{ $labels.instance }}",
            runbook: "|\n> x",
          },
        }),
      ),
    }),
  ],
  { accepted: [2], rules: { 2: "some" } },
);
add(
  "yaml-22-alert-name-newline",
  Y,
  "An alert name with a newline and U+2028 (alertname is a label value: any text).",
  [rel({ rules: groups(alert("Evil\nAlert\u2028x", `up{${EVIL_SEL}} < 1`)) })],
);
add(
  "yaml-23-expr-newlines-comments",
  Y,
  "A multi-line expression with comments and `: ` inside.",
  [rel({ rules: groups(alert("A", `# leading comment: yes\nup{${EVIL_SEL}}\n  < 1 # trailing: comment`)) })],
  { accepted: [2], rules: { 2: "some" } },
);
add(
  "yaml-24-rule-label-merge-key",
  Y,
  "A rule label named `<<` (not a label name Prometheus 2.42 accepts).",
  [rel({ rules: groups(alert("A", "up < 1", { labels: { "<<": "x" } })) })],
  R2,
);
add(
  "yaml-25-static-label-merge-key",
  Y,
  "A static label named `<<`.",
  [rel({ jobs: labelled({ "<<": "x" }) })],
  R2,
);
add(
  "yaml-26-label-names-yaml-words",
  Y,
  "Label names yes, on, null, true, y (valid label names; YAML 1.1 reads them as booleans/null).",
  [rel({ jobs: labelled({ yes: "1", on: "2", null: "3", true: "4", y: "5", n: "6", off: "7" }) })],
  { accepted: [2], labels: { 2: { yes: "1", on: "2", null: "3", true: "4", y: "5" } } },
);
add(
  "yaml-27-rule-key-prefix-collision",
  Y,
  "Relation 11, no metadata, first group named like good-app's identifier: its rule key starts with good-app's (…_metrics-endpoint_1).",
  [
    rel({
      id: 11,
      metadata: NONE,
      jobs: NONE,
      rules: {
        groups: [
          {
            name: "cos_f2c1b2a4_good-app",
            rules: [
              {
                alert: "A",
                expr: "up < 1",
                labels: { juju_model: "cos", juju_model_uuid: MODEL.uuid, juju_application: "evil" },
              },
            ],
          },
        ],
      },
    }),
  ],
);
add("yaml-28-group-name-nul", Y, "No metadata: a first group name with NUL and a slash.", [
  rel({
    metadata: NONE,
    jobs: NONE,
    rules: { groups: [{ name: "a\u0000b/c", rules: [{ alert: "A", expr: "up < 1" }] }] },
  }),
]);
add(
  "yaml-29-long-annotation-line",
  Y,
  "A 70,000-character annotation without spaces, then one with many spaces (line folding).",
  [
    rel({
      rules: groups(
        alert("A", `up{${EVIL_SEL}} < 1`, {
          annotations: { a: "x".repeat(70000), b: "word ".repeat(20000) },
        }),
      ),
    }),
  ],
  { accepted: [2], rules: { 2: "some" } },
);
add("yaml-30-job-name-nul", Y, "A job_name with NUL and a TLS CA file named after it.", [
  rel({ jobs: [job({ job_name: "a\u0000b", scheme: "https", tls_config: { ca_file: PEM } })] }),
]);

// ===== things promtool refuses ==================================================================
const P = "promtool-refuses";
const badJob = (id, description, fields, expect = R2) =>
  add(id, P, description, [rel({ jobs: [job(fields)] })], expect);
badJob("promtool-01-fractional-duration", "scrape_interval 1.5m (Prometheus durations have no fractions).", {
  scrape_interval: "1.5m",
});
badJob("promtool-02-duration-no-unit", "scrape_interval 60 (no unit).", { scrape_interval: "60" });
badJob("promtool-03-duration-repeated-unit", "scrape_interval 5m5m.", { scrape_interval: "5m5m" });
badJob("promtool-04-timeout-over-interval", "scrape_timeout 5s over scrape_interval 1s.", {
  scrape_interval: "1s",
  scrape_timeout: "5s",
});
badJob("promtool-05-duration-overflow", "scrape_interval 300000000y (out of range).", {
  scrape_interval: "300000000y",
});
badJob("promtool-06-duration-empty", 'scrape_interval "".', { scrape_interval: "" });
badJob(
  "promtool-07-duration-leading-space",
  'scrape_interval " 5s" (a YAML writer that does not quote it silently turns it into 5s).',
  { scrape_interval: " 5s" },
);
badJob("promtool-08-duration-number", "scrape_interval 30 as a JSON number.", { scrape_interval: 30 });
badJob("promtool-09-sample-limit-string", 'sample_limit "10" as a string.', { sample_limit: "10" });
badJob("promtool-10-sample-limit-negative", "sample_limit -1.", { sample_limit: -1 });
badJob("promtool-11-sample-limit-huge", "sample_limit 1e30.", { sample_limit: 1e30 });
add(
  "promtool-12-sample-limit-2pow64",
  P,
  "sample_limit 18446744073709551616 (2^64, one over uint64).",
  [
    rel({
      jobs: `[{"job_name":"x","static_configs":[{"targets":["*:9000"]}],"sample_limit":18446744073709551616}]`,
    }),
  ],
  R2,
);
badJob("promtool-13-label-limit-bool", "label_limit true.", { label_limit: true });
badJob("promtool-14-params-not-list", 'params {module: "x"} (a string, not a list; upstream issue 633).', {
  params: { module: "x" },
});
badJob("promtool-15-static-config-unknown-key", "A static_configs entry with an unknown key.", {
  static_configs: [{ targets: ["*:9000"], foo: 1 }],
});
badJob("promtool-16-relabel-unknown-key", "A relabel config with an unknown key.", {
  relabel_configs: [{ source_labels: ["__address__"], target_label: "x", foo: 1 }],
});
badJob("promtool-17-hashmod-no-modulus", "hashmod without a modulus.", {
  relabel_configs: [{ action: "hashmod", source_labels: ["__address__"], target_label: "x" }],
});
badJob("promtool-18-invalid-target-label", "target_label 1abc.", {
  relabel_configs: [{ source_labels: ["__address__"], target_label: "1abc" }],
});
badJob("promtool-19-unbalanced-regex", "A relabel regex `(`.", {
  relabel_configs: [{ source_labels: ["__address__"], regex: "(", target_label: "x" }],
});
badJob("promtool-20-unknown-action", "A relabel action explode.", {
  relabel_configs: [{ action: "explode", source_labels: ["__address__"], target_label: "x" }],
});
badJob("promtool-21-tls-unknown-key", "tls_config with an unknown key.", {
  scheme: "https",
  tls_config: { foo: 1 },
});
badJob("promtool-22-tls-min-version", "tls_config min_version TLS99.", {
  scheme: "https",
  tls_config: { min_version: "TLS99" },
});
badJob("promtool-23-tls-bool-string", 'tls_config insecure_skip_verify "yes" as a string.', {
  scheme: "https",
  tls_config: { insecure_skip_verify: "yes" },
});
badJob("promtool-24-tls-cert-without-key", "A client certificate without its key.", {
  scheme: "https",
  tls_config: { cert_file: PEM },
});
badJob("promtool-25-tls-inline-ca", "tls_config `ca` (inline CA: not in Prometheus 2.42).", {
  scheme: "https",
  tls_config: { ca: PEM },
});
badJob("promtool-26-basic-auth-both", "basic_auth with both password and password_file.", {
  basic_auth: { username: "u", password: "p", password_file: "/etc/hostname" },
});
badJob("promtool-27-authorization-basic", "authorization type Basic.", {
  authorization: { type: "Basic", credentials: "x" },
});
badJob("promtool-28-authorization-both", "authorization with both credentials and credentials_file.", {
  authorization: { credentials: "a", credentials_file: "/etc/hostname" },
});
badJob("promtool-29-authorization-and-basic", "authorization and basic_auth together.", {
  authorization: { credentials: "a" },
  basic_auth: { username: "u", password: "p" },
});
badJob("promtool-30-proxy-url-malformed", "proxy_url http://[::1 (unclosed bracket).", {
  proxy_url: "http://[::1",
});
badJob("promtool-31-target-with-path", "An explicit target with a path (Prometheus: not a valid hostname).", {
  static_configs: [{ targets: ["10.9.9.9:9000/metrics"] }],
});
badJob("promtool-32-relabel-configs-object", "relabel_configs is an object, not a list.", {
  relabel_configs: { target_label: "x" },
});
badJob("promtool-33-targets-object", "targets contains an object.", {
  static_configs: [{ targets: [{ host: "a" }] }],
});
badJob("promtool-34-label-value-list", "A static label value that is a list.", {
  static_configs: [{ targets: ["*:9000"], labels: { a: ["b"] } }],
});
badJob("promtool-35-label-name-invalid", "A static label name with a space.", {
  static_configs: [{ targets: ["*:9000"], labels: { "a b": "c" } }],
});
badJob("promtool-36-scheme-list", "scheme is a list.", { scheme: ["http"] });
const badRule = (id, description, rule, expect = R2) =>
  add(id, P, description, [rel({ rules: groups(rule) })], expect);
badRule("promtool-37-for-fraction", "for: 1.5m.", alert("A", "up < 1", { for: "1.5m" }));
badRule("promtool-38-for-number", "for: 300 as a number.", alert("A", "up < 1", { for: 300 }));
badRule("promtool-39-rule-unknown-key", "A rule with an unknown key.", alert("A", "up < 1", { foo: 1 }));
badRule("promtool-40-alert-and-record", "A rule with both alert and record.", {
  ...alert("A", "up < 1"),
  record: "b",
});
badRule("promtool-41-record-invalid-name", "record a-b.", record("a-b", "up"));
badRule(
  "promtool-42-template-unclosed",
  "An annotation template {{ .Foo.",
  alert("A", "up < 1", { annotations: { s: "{{ .Foo" } }),
);
badRule(
  "promtool-43-template-undefined-function",
  "An annotation template calling an undefined function.",
  alert("A", "up < 1", { annotations: { s: "{{ foo }}" } }),
);
badRule("promtool-44-type-error-rate", "rate() of an instant vector.", alert("A", "rate(up) > 0"));
badRule("promtool-45-type-error-string", '"a" + 1.', alert("A", `"a" + 1`));
badRule("promtool-46-at-out-of-range", "up @ 1e20.", alert("A", "up @ 1e20 < 1"));
badRule("promtool-47-empty-expr", "An empty expr.", alert("A", ""));
badRule(
  "promtool-48-label-dunder-name",
  "A rule label __name__.",
  alert("A", "up < 1", { labels: { __name__: "x" } }),
);
badRule(
  "promtool-49-keep-firing-for-bad",
  "keep_firing_for 1.5m.",
  alert("A", "up < 1", { keep_firing_for: "1.5m" }),
);
badRule("promtool-50-parse-error", "An expression that does not parse: `up ==`.", alert("A", "up =="));
const badGroups = (id, description, g, expect = R2) => add(id, P, description, [rel({ rules: g })], expect);
badGroups("promtool-51-duplicate-groups", "Two groups with the same name in one file.", {
  groups: [
    { name: "g", rules: [alert("A", "up < 1")] },
    { name: "g", rules: [alert("B", "up < 1")] },
  ],
});
badGroups("promtool-52-empty-group-name", "A group without a name.", {
  groups: [{ name: "", rules: [alert("A", "up < 1")] }],
});
badGroups("promtool-53-negative-interval", "A group interval -1s.", {
  groups: [{ name: "g", interval: "-1s", rules: [alert("A", "up < 1")] }],
});
badGroups("promtool-54-query-offset", "A group query_offset (not in Prometheus 2.42).", {
  groups: [{ name: "g", query_offset: "1m", rules: [alert("A", "up < 1")] }],
});
badGroups("promtool-55-groups-string", "groups is a string.", { groups: "x" });
badGroups("promtool-56-group-rules-string", "A group's rules is a string.", {
  groups: [{ name: "g", rules: "x" }],
});

// ===== IPv6 and address forms ===================================================================
const V = "ipv6-address";
const addrCase = (id, description, address, expect = {}, o = {}) =>
  add(
    id,
    V,
    description,
    [
      rel({
        units: {
          "evil/0": unitBag("evil", 0, { prometheus_scrape_unit_address: address, ...(o.bag ?? {}) }),
          "evil/1": unitBag("evil", 1),
        },
        ...(o.jobs ? { jobs: o.jobs } : {}),
      }),
    ],
    expect,
  );
addrCase("ipv6-01-plain", "Unit address fd00::1 with a *:9000 target.", "fd00::1", {
  accepted: [2],
  targets: { 2: ["[fd00::1]:9000"] },
});
addrCase("ipv6-02-bracketed", "Unit address already bracketed: [fd00::2].", "[fd00::2]", {
  targets: { 2: ["[fd00::2]:9000"] },
});
addrCase("ipv6-03-zone", "Link-local address with a zone: fe80::1%eth0.", "fe80::1%eth0");
addrCase("ipv6-04-v4-mapped", "IPv4-mapped address ::ffff:10.2.0.1.", "::ffff:10.2.0.1", {
  accepted: [2],
  targets: { 2: ["[::ffff:10.2.0.1]:9000"] },
});
addrCase("ipv6-05-uppercase-long", "Upper-case uncompressed FD00:0:0:0:0:0:0:1.", "FD00:0:0:0:0:0:0:1");
addrCase(
  "ipv6-06-bare-wildcard",
  "A bare `*` target (no port) on an IPv6 unit.",
  "fd00::6",
  {},
  { jobs: [job({ static_configs: [{ targets: ["*"] }] })] },
);
add("ipv6-07-explicit-unbracketed", V, "An explicit target fd00::3 without brackets.", [
  rel({ jobs: [job({ static_configs: [{ targets: ["fd00::3"] }] })] }),
]);
addrCase(
  "ipv6-08-explicit-matched",
  "An explicit [fd00::1]:9000 target that is unit evil/0's address.",
  "fd00::1",
  { accepted: [2], targets: { 2: ["[fd00::1]:9000"] } },
  { jobs: [job({ static_configs: [{ targets: ["[fd00::1]:9000"] }] })] },
);
addrCase(
  "ipv6-09-address-with-port",
  "A unit address that already has a port: 10.2.0.1:9999.",
  "10.2.0.1:9999",
);
addrCase("ipv6-10-address-with-scheme", "A unit address with a scheme: http://10.2.0.1.", "http://10.2.0.1");
add(
  "ipv6-11-legacy-host-key",
  V,
  "Only the legacy prometheus_scrape_host key, with an IPv6 address.",
  [
    rel({
      units: {
        "evil/0": { prometheus_scrape_host: "fd00::4", prometheus_scrape_unit_name: "evil/0" },
        "evil/1": unitBag("evil", 1),
      },
    }),
  ],
  { targets: { 2: ["[fd00::4]:9000"] } },
);
addrCase(
  "ipv6-12-with-path",
  "IPv6 address plus a unit path (external_url style).",
  "fd00::5",
  { targets: { 2: ["[fd00::5]:9000"] } },
  { bag: { prometheus_scrape_unit_path: "/cos-evil-0", prometheus_scrape_unit_fqdn: "" } },
);
addrCase("ipv6-13-unspecified", "Unit address `::`.", "::");
addrCase(
  "ipv6-14-good-address",
  "Unit evil/0 uses good-app/0's address: scraped, but labelled evil.",
  "10.1.0.1",
  { accepted: [2] },
);
addrCase("ipv6-15-whitespace", "Unit address with surrounding spaces.", " 10.2.0.1 ");
addrCase("ipv6-16-zone-percent-encoded", "Zone written URL-style: fe80::1%25eth0.", "fe80::1%25eth0");
addrCase("ipv6-17-long-hostname", "A 300-character host name.", `${"h".repeat(300)}.example`);
addrCase("ipv6-18-wildcard-address", "The unit address is `*` itself.", "*");
addrCase(
  "ipv6-19-metadata-service",
  "The unit address is the cloud metadata service 169.254.169.254.",
  "169.254.169.254",
);

// ===== JSON shapes and prototype keys ===========================================================
const J = "json-shape";
add("json-01-proto-honor-labels", J, "A job carries __proto__: {honor_labels: true, job_name: ...}.", [
  rel({
    jobs: `[{"__proto__":{"honor_labels":true,"job_name":"proto"},"job_name":"x","static_configs":[{"targets":["*:9000"]}]}]`,
  }),
]);
add(
  "json-02-proto-labels",
  J,
  "Static labels carry __proto__: {juju_application: good-app}.",
  [
    rel({
      jobs: `[{"job_name":"x","static_configs":[{"targets":["*:9000"],"labels":{"__proto__":{"juju_application":"good-app"}}}]}]`,
    }),
  ],
  R2,
);
add(
  "json-03-proto-metadata",
  J,
  "scrape_metadata has no application but a __proto__ that has one.",
  [
    rel({
      metadata: `{"model":"cos","model_uuid":"${MODEL.uuid}","__proto__":{"application":"good-app"},"unit":"evil/0"}`,
    }),
  ],
  R2,
);
add(
  "json-04-proto-rule-labels",
  J,
  "Rule labels carry __proto__: {juju_application: good-app}.",
  [
    rel({
      rules: `{"groups":[{"name":"g","rules":[{"alert":"A","expr":"up < 1","labels":{"__proto__":{"juju_application":"good-app"},"severity":"x"}}]}]}`,
    }),
  ],
  R2,
);
add(
  "json-05-object-method-names",
  J,
  "Label names constructor, toString, hasOwnProperty, __defineGetter__ (all valid).",
  [
    rel({
      jobs: labelled({
        constructor: "a",
        toString: "b",
        hasOwnProperty: "c",
        __defineGetter__: "d",
        valueOf: "e",
      }),
    }),
  ],
  { accepted: [2], labels: { 2: { constructor: "a", toString: "b", hasOwnProperty: "c" } } },
);
add("json-06-jobs-null", J, "scrape_jobs is the JSON null.", [rel({ jobs: "null" })]);
add(
  "json-07-jobs-object",
  J,
  "scrape_jobs is an object, not a list.",
  [rel({ jobs: `{"job_name":"x"}` })],
  R2,
);
add(
  "json-08-jobs-junk-items",
  J,
  "scrape_jobs holds null, a number, a string and a list.",
  [rel({ jobs: `[null, 1, "x", []]` })],
  R2,
);
add("json-09-rules-list", J, "alert_rules is a list.", [rel({ rules: "[]" })]);
add("json-10-rules-groups-null", J, "alert_rules has groups: null.", [rel({ rules: `{"groups": null}` })]);
add(
  "json-11-rules-group-null",
  J,
  "alert_rules has groups: [null].",
  [rel({ rules: `{"groups": [null]}` })],
  R2,
);
add(
  "json-12-bom",
  J,
  "scrape_jobs starts with a byte-order mark.",
  [rel({ jobs: `\ufeff${j(EVIL_JOBS)}` })],
  R2,
);
add(
  "json-13-nan",
  J,
  "scrape_jobs uses NaN and Infinity (Python's json accepts them, JSON does not).",
  [
    rel({
      jobs: `[{"job_name":"x","static_configs":[{"targets":["*:9000"]}],"sample_limit":NaN,"label_limit":Infinity}]`,
    }),
  ],
  R2,
);
add(
  "json-14-trailing-garbage",
  J,
  "scrape_jobs has trailing garbage after the list.",
  [rel({ jobs: `${j(EVIL_JOBS)} x` })],
  R2,
);
add(
  "json-15-no-units",
  J,
  "App data but no remote units: contributes nothing yet.",
  [rel({ units: {}, rules: groups(alert("A", `up{${EVIL_SEL}} < 1`)) })],
  { jobs: { 2: "none" }, rules: { 2: "none" } },
);
add(
  "json-16-empty-unit-bags",
  J,
  "Every unit bag is empty.",
  [rel({ units: { "evil/0": {}, "evil/1": {} } })],
  { jobs: { 2: "none" } },
);
add("json-17-metadata-list", J, "scrape_metadata is a JSON list.", [rel({ metadata: "[]" })]);
add("json-18-metadata-null", J, "scrape_metadata is the JSON null.", [rel({ metadata: "null" })]);
add("json-19-metadata-string", J, "scrape_metadata is a JSON string.", [rel({ metadata: j("good-app") })]);
add("json-20-job-name-number", J, "job_name is a number.", [rel({ jobs: [job({ job_name: 42 })] })]);
add("json-21-huge-number-labels", J, "A static label value that is a number with 400 digits.", [
  rel({
    jobs: `[{"job_name":"x","static_configs":[{"targets":["*:9000"],"labels":{"n":1@@REPEAT|400|0@@}}]}]`,
  }),
]);

// ===== secrets and paths ========================================================================
const F = "secrets-and-paths";
add(
  "secrets-01-password-file-server-key",
  F,
  "basic_auth password_file /etc/prometheus/server.key: Prometheus would send its own TLS key to the relation's target.",
  [rel({ jobs: [job({ basic_auth: { username: "u", password_file: "/etc/prometheus/server.key" } })] })],
  { ...R2, noLocalFileReads: [2] },
);
add(
  "secrets-02-credentials-file",
  F,
  "authorization credentials_file pointing into the charm's directory.",
  [
    rel({
      jobs: [
        job({ authorization: { credentials_file: "/var/lib/juju/agents/unit-prometheus-0/agent.conf" } }),
      ],
    }),
  ],
  { ...R2, noLocalFileReads: [2] },
);
add(
  "secrets-03-bearer-token-file",
  F,
  "bearer_token_file (not an allowed key) pointing at the service-account token.",
  [rel({ jobs: [job({ bearer_token_file: "/var/run/secrets/kubernetes.io/serviceaccount/token" })] })],
  { noLocalFileReads: [2] },
);
add(
  "secrets-04-oauth2-secret-file",
  F,
  "oauth2 (not an allowed key) with client_secret_file.",
  [
    rel({
      jobs: [
        job({
          oauth2: {
            client_id: "x",
            client_secret_file: "/etc/prometheus/server.key",
            token_url: "http://10.2.0.1/t",
          },
        }),
      ],
    }),
  ],
  { noLocalFileReads: [2] },
);
add(
  "secrets-05-tls-key-path-as-content",
  F,
  "tls_config key_file given as a path instead of PEM content: written as content, never read as a path.",
  [
    rel({
      jobs: [
        job({ scheme: "https", tls_config: { cert_file: PEM, key_file: "/etc/prometheus/server.key" } }),
      ],
    }),
  ],
  { noLocalFileReads: [2] },
);
add(
  "secrets-06-proxy-to-self",
  F,
  "proxy_url pointing at Prometheus' own web port with credentials in the URL.",
  [rel({ jobs: [job({ proxy_url: "http://admin:admin@localhost:9090" })] })],
);
add("secrets-07-file-sd", F, "file_sd_configs (not an allowed key) reading target files from disk.", [
  rel({ jobs: [job({ file_sd_configs: [{ files: ["/etc/prometheus/*.yml"] }] })] }),
]);
add("secrets-08-rule-files-key", F, "A job with rule_files and global keys (not scrape keys).", [
  rel({
    jobs: [
      job({ rule_files: ["/tmp/*.rules"], global: { external_labels: { juju_application: "good-app" } } }),
    ],
  }),
]);

// ===== trusted aggregators =====================================================================
const A = "trusted-aggregator";
const AGG_JOBS = [
  {
    job_name: "juju_edge_5d6e7f80_ext-app_prometheus_scrape",
    static_configs: [
      {
        targets: ["10.5.0.1:9100"],
        labels: {
          juju_model: "edge",
          juju_model_uuid: REMOTE_UUID,
          juju_application: "ext-app",
          juju_unit: "ext-app/0",
        },
      },
    ],
    relabel_configs: [
      {
        source_labels: ["juju_model", "juju_model_uuid", "juju_application", "juju_unit"],
        separator: "_",
        target_label: "instance",
        regex: "(.*)",
      },
    ],
  },
];
const aggregator = (o = {}) => rel({ app: "cos-proxy", metadata: NONE, jobs: AGG_JOBS, ...o });
add(
  "trusted-01-named-aggregator",
  A,
  "cos-proxy is named in trusted_aggregators: its pass-through jobs for ext-app are kept as sent.",
  [aggregator()],
  {
    accepted: [2],
    labels: { 2: { juju_application: "ext-app", juju_model_uuid: REMOTE_UUID } },
  },
  { config: { trusted_aggregators: "cos-proxy" } },
);
add(
  "trusted-02-prefix-not-trusted",
  A,
  "trusted_aggregators names cos-proxy; the relation is cos-proxy-evil.",
  [aggregator({ app: "cos-proxy-evil" })],
  R2,
  { config: { trusted_aggregators: "cos-proxy" } },
);
add(
  "trusted-03-substring-not-trusted",
  A,
  "trusted_aggregators names cos-proxy; the relation is cos.",
  [aggregator({ app: "cos" })],
  R2,
  { config: { trusted_aggregators: "cos-proxy" } },
);
add(
  "trusted-04-list",
  A,
  "trusted_aggregators lists two applications.",
  [aggregator()],
  { accepted: [2], labels: { 2: { juju_application: "ext-app" } } },
  { config: { trusted_aggregators: "other-agg,cos-proxy" } },
);
add(
  "trusted-05-shadow-good-job",
  A,
  "A trusted aggregator's job is named exactly like good-app's first job.",
  [
    aggregator({
      jobs: [{ ...AGG_JOBS[0], job_name: "juju_cos_f2c1b2a4_good-app_prometheus_scrape_metrics-0" }],
    }),
  ],
  {},
  { config: { trusted_aggregators: "cos-proxy" } },
);
add(
  "trusted-06-bad-duration",
  A,
  "A trusted aggregator's job has scrape_interval 1.5m.",
  [aggregator({ jobs: [{ ...AGG_JOBS[0], scrape_interval: "1.5m" }] })],
  R2,
  { config: { trusted_aggregators: "cos-proxy" } },
);
add(
  "trusted-07-untrusted-beside-trusted",
  A,
  "cos-proxy is trusted; relation 3 (evil) sends the same aggregator-style jobs and is not.",
  [aggregator(), rel({ id: 3, metadata: NONE, jobs: AGG_JOBS })],
  { accepted: [2], rejected: [3] },
  { config: { trusted_aggregators: "cos-proxy" } },
);
add(
  "trusted-08-not-configured",
  A,
  "No trusted_aggregators: the same cos-proxy jobs are untrusted.",
  [aggregator()],
  R2,
);

// --- write ---------------------------------------------------------------------------------------
mkdirSync(OUT, { recursive: true });
for (const f of readdirSync(OUT)) if (f.endsWith(".json")) rmSync(join(OUT, f));
for (const c of cases) {
  const { id, ...rest } = c;
  writeFileSync(join(OUT, `${id}.json`), `${JSON.stringify(rest, null, 1)}\n`);
}
const byClass = {};
for (const c of cases) byClass[c.class] = (byClass[c.class] ?? 0) + 1;
process.stderr.write(`wrote ${cases.length} cases to ${OUT}: ${JSON.stringify(byClass)}\n`);
