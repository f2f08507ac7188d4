#!/usr/bin/env node
// Writes the hostile-input corpus, testdata/hostile/NN_<name>.json: each case is a consumer state
// (the fixtures' format) with one well-behaved relation (id 1, app "good") and one hostile one
// (id 2, app "bad"), plus the expected outcome. The files are the corpus; this script is how they
// were written, kept so that cases can be added the same way. Usage: node scripts/gen-hostile-corpus.mjs
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const OUT = resolve(import.meta.dirname, "../testdata/hostile");
const UUID = "a1b2c3d4-1111-4222-8333-444455556666";
const j = (v) => JSON.stringify(v);
const meta = (app, extra = {}) =>
  j({ model: "cos", model_uuid: UUID, application: app, charm_name: `${app}-k8s`, ...extra });
const units = (app, n = 2, extra = {}) => {
  const out = {};
  for (let u = 0; u < n; u++)
    out[`${app}/${u}`] = {
      prometheus_scrape_unit_address: `10.1.${app.length}.${u + 1}`,
      prometheus_scrape_unit_name: `${app}/${u}`,
      ...extra,
    };
  return out;
};
const wildcard = (extra = {}) => ({ static_configs: [{ targets: ["*:8000"] }], ...extra });
const rules = (...rs) => j({ groups: [{ name: "bad_alerts", rules: rs }] });
const okRule = { alert: "BadDown", expr: "up{%%juju_topology%%} < 1", for: "1m" };

const GOOD = {
  id: 1,
  remote_app: "good",
  app_data: {
    scrape_metadata: meta("good"),
    scrape_jobs: j([wildcard()]),
    alert_rules: j({
      groups: [
        { name: "good_alerts", rules: [{ alert: "GoodDown", expr: "up{%%juju_topology%%} < 1", for: "5m" }] },
      ],
    }),
  },
  units: units("good"),
};

/** [name, category, description, bad app_data (merged over a valid one), expect, bad units?] */
const R = (kind, reason) => ({ kind, reason });
const cases = [];
const add = (name, category, description, appData, expect, badUnits) =>
  cases.push({ name, category, description, appData, expect, badUnits });
const jobs = (...js) => j(js);
const rejectJobs = (reason, jobsKept = 0) => ({
  rejected: [R("jobs", reason)],
  badJobs: jobsKept,
  badRules: true,
});
const rejectRules = (reason) => ({ rejected: [R("rules", reason)], badJobs: 2, badRules: false });
const accepted = (badJobs = 2) => ({ rejected: [], badJobs, badRules: true });

// --- malformed JSON
add(
  "jobs_truncated_json",
  "malformed-json",
  "scrape_jobs cut in the middle",
  { scrape_jobs: '[{"static_configs": [{"targ' },
  rejectJobs("not valid JSON"),
);
add(
  "jobs_trailing_comma",
  "malformed-json",
  "scrape_jobs with a trailing comma",
  { scrape_jobs: "[1,]" },
  rejectJobs("not valid JSON"),
);
add(
  "jobs_nan",
  "malformed-json",
  "scrape_jobs with NaN (Python json would emit it)",
  { scrape_jobs: '[{"sample_limit": NaN}]' },
  rejectJobs("not valid JSON"),
);
add(
  "rules_not_json",
  "malformed-json",
  "alert_rules is YAML, not JSON",
  { alert_rules: "groups:\n- name: x" },
  rejectRules("not valid JSON"),
);
add(
  "metadata_not_json",
  "malformed-json",
  "scrape_metadata is not JSON",
  { scrape_metadata: "{model: cos}" },
  { rejected: [R("relation", "not valid JSON")], badJobs: 0, badRules: false },
);
add(
  "metadata_single_quotes",
  "malformed-json",
  "Python repr instead of JSON",
  { scrape_metadata: "{'model': 'cos'}" },
  { rejected: [R("relation", "not valid JSON")], badJobs: 0, badRules: false },
);
// --- wrong types
add(
  "jobs_object",
  "wrong-type",
  "scrape_jobs is an object",
  { scrape_jobs: j({ job_name: "x" }) },
  rejectJobs("not a JSON list"),
);
add(
  "jobs_number",
  "wrong-type",
  "scrape_jobs is a number",
  { scrape_jobs: "42" },
  rejectJobs("not a JSON list"),
);
add(
  "jobs_of_strings",
  "wrong-type",
  "scrape_jobs lists strings",
  { scrape_jobs: j(["a", "b"]) },
  rejectJobs("not a JSON object"),
);
add(
  "static_configs_not_list",
  "wrong-type",
  "static_configs is an object",
  { scrape_jobs: jobs({ static_configs: { targets: ["*:1"] } }) },
  rejectJobs("static_configs"),
);
add(
  "targets_not_list",
  "wrong-type",
  "targets is a string",
  { scrape_jobs: jobs({ static_configs: [{ targets: "*:8000" }] }) },
  rejectJobs("targets"),
);
add(
  "targets_numbers",
  "wrong-type",
  "targets are numbers",
  { scrape_jobs: jobs({ static_configs: [{ targets: [8000] }] }) },
  rejectJobs("targets"),
);
add(
  "label_value_number",
  "wrong-type",
  "a static label value is a number",
  { scrape_jobs: jobs(wildcard({ static_configs: [{ targets: ["*:8000"], labels: { tier: 1 } }] })) },
  rejectJobs("labels"),
);
add(
  "metrics_path_number",
  "wrong-type",
  "metrics_path is a number",
  { scrape_jobs: jobs(wildcard({ metrics_path: 7 })) },
  rejectJobs("metrics_path"),
);
add(
  "job_name_object",
  "wrong-type",
  "job_name is an object",
  { scrape_jobs: jobs(wildcard({ job_name: { a: 1 } })) },
  rejectJobs("job_name"),
);
add(
  "groups_not_list",
  "wrong-type",
  "alert_rules.groups is an object",
  { alert_rules: j({ groups: { a: 1 } }) },
  rejectRules("groups"),
);
add(
  "rules_not_list",
  "wrong-type",
  "a group's rules is a string",
  { alert_rules: j({ groups: [{ name: "g", rules: "up" }] }) },
  rejectRules("rules"),
);
add(
  "expr_number",
  "wrong-type",
  "a rule's expr is a number",
  { alert_rules: rules({ alert: "A", expr: 1 }) },
  rejectRules("expr"),
);
add(
  "rule_labels_list",
  "wrong-type",
  "a rule's labels is a list",
  { alert_rules: rules({ ...okRule, labels: ["a"] }) },
  rejectRules("labels"),
);
add(
  "sample_limit_string",
  "wrong-type",
  "sample_limit is a string",
  { scrape_jobs: jobs(wildcard({ sample_limit: "lots" })) },
  rejectJobs("sample_limit"),
);
// --- huge values
add(
  "jobs_over_value_bound",
  "huge",
  "scrape_jobs over the value-size bound (lowered to 64 KiB for this case)",
  { scrape_jobs: jobs(wildcard({ params: { q: ["x".repeat(70 * 1024)] } })) },
  { ...rejectJobs("maxValueBytes"), limits: { maxValueBytes: 65536 } },
);
add(
  "too_many_jobs",
  "huge",
  "1,001 jobs",
  { scrape_jobs: j(Array.from({ length: 1001 }, (_, i) => wildcard({ job_name: `j${i}` }))) },
  rejectJobs("maxJobs"),
);
add(
  "too_many_targets",
  "huge",
  "5,001 targets in one job",
  {
    scrape_jobs: jobs({
      static_configs: [{ targets: Array.from({ length: 5001 }, (_, i) => `10.9.${i >> 8}.${i & 255}:80`) }],
    }),
  },
  rejectJobs("maxTargetsPerJob"),
);
add(
  "too_many_groups",
  "huge",
  "501 rule groups",
  { alert_rules: j({ groups: Array.from({ length: 501 }, (_, i) => ({ name: `g${i}`, rules: [okRule] })) }) },
  rejectRules("maxGroups"),
);
add(
  "too_many_rules",
  "huge",
  "5,001 rules",
  {
    alert_rules: j({
      groups: [{ name: "g", rules: Array.from({ length: 5001 }, (_, i) => ({ ...okRule, alert: `A${i}` })) }],
    }),
  },
  rejectRules("maxRules"),
);
add(
  "huge_label_value",
  "huge",
  "a 100 KiB label value is accepted (within bounds)",
  {
    scrape_jobs: jobs(
      wildcard({ static_configs: [{ targets: ["*:8000"], labels: { note: "n".repeat(100 * 1024) } }] }),
    ),
  },
  accepted(),
);
// --- YAML special characters and newlines (must be accepted and quoted correctly)
add(
  "job_name_newline",
  "yaml-special",
  "a job name with a newline and a colon",
  { scrape_jobs: jobs(wildcard({ job_name: "a\nb: c" })) },
  accepted(),
);
add(
  "job_name_yaml_doc",
  "yaml-special",
  "a job name that is a YAML document marker",
  { scrape_jobs: jobs(wildcard({ job_name: "---" })) },
  accepted(),
);
add(
  "label_value_yaml",
  "yaml-special",
  "label values with YAML syntax",
  {
    scrape_jobs: jobs(
      wildcard({
        static_configs: [
          {
            targets: ["*:8000"],
            labels: {
              a: "{x: [1]}",
              b: "- item",
              c: "#comment",
              d: "'q\"",
              e: "line1\nline2",
              f: "&anchor *ref",
              g: "!!python/object",
            },
          },
        ],
      }),
    ),
  },
  accepted(),
);
add(
  "annotation_template_braces",
  "yaml-special",
  "annotations with Go template braces and newlines",
  { alert_rules: rules({ ...okRule, annotations: { summary: "{{ $labels.instance }}\n: down" } }) },
  accepted(),
);
add(
  "metrics_path_query",
  "yaml-special",
  "metrics_path with ? and #",
  { scrape_jobs: jobs(wildcard({ metrics_path: "/m?x=1#frag" })) },
  accepted(),
);
// --- label names that are not valid
add(
  "label_name_digit",
  "invalid-label",
  "static label name starting with a digit",
  { scrape_jobs: jobs(wildcard({ static_configs: [{ targets: ["*:8000"], labels: { "1abc": "x" } }] })) },
  rejectJobs("label name"),
);
add(
  "label_name_dash",
  "invalid-label",
  "static label name with a dash",
  { scrape_jobs: jobs(wildcard({ static_configs: [{ targets: ["*:8000"], labels: { "a-b": "x" } }] })) },
  rejectJobs("label name"),
);
add(
  "rule_label_name_bad",
  "invalid-label",
  "rule label name with a space",
  { alert_rules: rules({ ...okRule, labels: { "bad name": "x" } }) },
  rejectRules("label"),
);
add(
  "relabel_target_bad",
  "invalid-label",
  "relabel target_label with a dot",
  { scrape_jobs: jobs(wildcard({ relabel_configs: [{ source_labels: ["x"], target_label: "a.b" }] })) },
  rejectJobs("target_label"),
);
// --- relabel rules aimed at juju_*
add(
  "relabel_target_juju_unit",
  "topology-spoof",
  "relabel writes juju_unit",
  {
    scrape_jobs: jobs(
      wildcard({ relabel_configs: [{ source_labels: ["__address__"], target_label: "juju_unit" }] }),
    ),
  },
  rejectJobs("juju_"),
);
add(
  "relabel_target_juju_ref",
  "topology-spoof",
  "relabel writes juju_$1",
  {
    scrape_jobs: jobs(
      wildcard({ relabel_configs: [{ source_labels: ["x"], regex: "(.*)", target_label: "juju_$1" }] }),
    ),
  },
  rejectJobs("juju_"),
);
add(
  "relabel_target_ref_prefix",
  "topology-spoof",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Prometheus' relabel reference syntax
  "relabel writes ${1}_model built from a label value",
  {
    scrape_jobs: jobs(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Prometheus' relabel reference syntax
      wildcard({ relabel_configs: [{ source_labels: ["x"], regex: "(.*)", target_label: "${1}_model" }] }),
    ),
  },
  rejectJobs("juju_"),
);
add(
  "labelmap_to_juju",
  "topology-spoof",
  "labelmap replacement producing juju_ names",
  {
    scrape_jobs: jobs(
      wildcard({ relabel_configs: [{ action: "labelmap", regex: "x_(.*)", replacement: "juju_$1" }] }),
    ),
  },
  rejectJobs("juju_"),
);
add(
  "metric_relabel_juju_app",
  "topology-spoof",
  "metric_relabel_configs writes juju_application",
  {
    scrape_jobs: jobs(
      wildcard({ metric_relabel_configs: [{ source_labels: ["job"], target_label: "juju_application" }] }),
    ),
  },
  rejectJobs("juju_"),
);
add(
  "static_label_juju_model",
  "topology-spoof",
  "static label juju_model naming another model: the job is refused",
  {
    scrape_jobs: jobs(
      wildcard({ static_configs: [{ targets: ["*:8000"], labels: { juju_model: "prod" } }] }),
    ),
  },
  rejectJobs("is not this relation's topology"),
);
add(
  "labeldrop_juju",
  "topology-spoof",
  "metric labeldrop of juju_.* would strip topology",
  { scrape_jobs: jobs(wildcard({ metric_relabel_configs: [{ action: "labeldrop", regex: "juju_.*" }] })) },
  rejectJobs("juju_"),
);
add(
  "rule_label_juju_spoof",
  "topology-spoof",
  "rule labels claiming another application",
  {
    alert_rules: rules({
      ...okRule,
      labels: { juju_application: "good", juju_model: "cos", juju_model_uuid: UUID },
    }),
  },
  rejectRules("is not this relation's topology"),
);
// --- *_file keys and file discovery
add(
  "bearer_token_file",
  "file-keys",
  "bearer_token_file is not an allowed key: dropped and reported, the job kept without it",
  { scrape_jobs: jobs(wildcard({ bearer_token_file: "/var/run/secrets/token" })) },
  { ...accepted(2), ignored: "bearer_token_file", absent: ["bearer_token_file", "/var/run/secrets"] },
);
add(
  "basic_auth_password_file",
  "file-keys",
  "basic_auth.password_file",
  { scrape_jobs: jobs(wildcard({ basic_auth: { username: "u", password_file: "/etc/shadow" } })) },
  rejectJobs("password_file"),
);
add(
  "authorization_credentials_file",
  "file-keys",
  "authorization.credentials_file",
  { scrape_jobs: jobs(wildcard({ authorization: { credentials_file: "/root/.ssh/id_rsa" } })) },
  rejectJobs("credentials_file"),
);
add(
  "file_sd_configs",
  "file-keys",
  "file_sd_configs is not an allowed key: dropped, the job kept",
  { scrape_jobs: jobs(wildcard({ file_sd_configs: [{ files: ["/etc/*.json"] }] })) },
  { ...accepted(2), absent: ["file_sd_configs", "/etc/*.json"] },
);
add(
  "tls_ca_path",
  "file-keys",
  "tls_config.ca_file given a path instead of PEM",
  { scrape_jobs: jobs(wildcard({ tls_config: { ca_file: "/etc/ssl/private/key.pem" } })) },
  rejectJobs("ca_file"),
);
// --- path traversal in names
add(
  "group_name_traversal",
  "path-traversal",
  "rule group named ../../etc/passwd",
  { alert_rules: j({ groups: [{ name: "../../etc/passwd", rules: [okRule] }] }) },
  accepted(),
);
add(
  "app_name_traversal",
  "path-traversal",
  "scrape_metadata application with slashes (not the related application): refused",
  { scrape_metadata: meta("../../etc") },
  { rejected: [R("relation", "disagrees with Juju")], badJobs: 0, badRules: false },
);
add(
  "model_name_traversal",
  "path-traversal",
  "scrape_metadata model with slashes (not this model): refused",
  { scrape_metadata: meta("bad", { model: "../x" }) },
  { rejected: [R("relation", "disagrees with Juju")], badJobs: 0, badRules: false },
);
// --- PromQL that does not parse, bad rules
add(
  "expr_unclosed_brace",
  "promql",
  "expr up{",
  { alert_rules: rules({ alert: "A", expr: "up{" }) },
  rejectRules("parse"),
);
add(
  "expr_unclosed_paren",
  "promql",
  "expr rate(x[5m]",
  { alert_rules: rules({ alert: "A", expr: "rate(x[5m]" }) },
  rejectRules("parse"),
);
add(
  "expr_placeholder_only",
  "promql",
  "expr is only the topology placeholder",
  { alert_rules: rules({ alert: "A", expr: "%%juju_topology%%" }) },
  rejectRules("expr"),
);
add(
  "expr_empty",
  "promql",
  "empty expr",
  { alert_rules: rules({ alert: "A", expr: "" }) },
  rejectRules("expr"),
);
add(
  "for_bad_duration",
  "promql",
  "for: 5 minutes",
  { alert_rules: rules({ ...okRule, for: "5 minutes" }) },
  rejectRules("duration"),
);
add(
  "alert_and_record",
  "promql",
  "a rule with both alert and record",
  { alert_rules: rules({ ...okRule, record: "x:y" }) },
  rejectRules("record"),
);
add(
  "record_bad_name",
  "promql",
  "recording rule named with a dash",
  { alert_rules: rules({ record: "bad-name", expr: "up" }) },
  rejectRules("record"),
);
// --- duplicates
add(
  "duplicate_group_names",
  "duplicates",
  "two groups with the same name",
  {
    alert_rules: j({
      groups: [
        { name: "g", rules: [okRule] },
        { name: "g", rules: [okRule] },
      ],
    }),
  },
  rejectRules("g"),
);
add(
  "duplicate_rules",
  "duplicates",
  "the same alert twice in a group (Prometheus allows it)",
  { alert_rules: rules(okRule, okRule) },
  accepted(),
);
add(
  "duplicate_jobs",
  "duplicates",
  "two identical jobs: one is kept",
  { scrape_jobs: jobs(wildcard(), wildcard()) },
  accepted(2),
);
// --- unicode
add(
  "unicode_job_and_labels",
  "unicode",
  "job name and label values in several scripts",
  {
    scrape_jobs: jobs(
      wildcard({
        job_name: "métriques-日本",
        static_configs: [{ targets: ["*:8000"], labels: { zone: "żółw 🐢" } }],
      }),
    ),
  },
  accepted(),
);
add(
  "unicode_label_name",
  "unicode",
  "a label name with é",
  { scrape_jobs: jobs(wildcard({ static_configs: [{ targets: ["*:8000"], labels: { zoné: "x" } }] })) },
  rejectJobs("label name"),
);
add(
  "unicode_metric_in_expr",
  "unicode",
  "a metric name with é in an expression",
  { alert_rules: rules({ alert: "A", expr: "métrique > 1" }) },
  rejectRules("parse"),
);
add(
  "nul_in_label_value",
  "unicode",
  "a NUL character in a label value",
  { scrape_jobs: jobs(wildcard({ static_configs: [{ targets: ["*:8000"], labels: { a: "x\u0000y" } }] })) },
  accepted(),
);
// --- other job values Prometheus would refuse for the whole file
add(
  "scheme_ftp",
  "job-values",
  "scheme ftp",
  { scrape_jobs: jobs(wildcard({ scheme: "ftp" })) },
  rejectJobs("scheme"),
);
add(
  "interval_bad",
  "job-values",
  "scrape_interval 5 minutes",
  { scrape_jobs: jobs(wildcard({ scrape_interval: "5 minutes" })) },
  rejectJobs("scrape_interval"),
);
add(
  "timeout_over_interval",
  "job-values",
  "scrape_timeout longer than scrape_interval",
  { scrape_jobs: jobs(wildcard({ scrape_interval: "10s", scrape_timeout: "1m" })) },
  rejectJobs("scrape_timeout"),
);
add(
  "proxy_url_bad",
  "job-values",
  "proxy_url is not a URL",
  { scrape_jobs: jobs(wildcard({ proxy_url: "::::" })) },
  rejectJobs("proxy_url"),
);
add(
  "relabel_bad_regex",
  "job-values",
  "relabel regex that does not compile",
  {
    scrape_jobs: jobs(
      wildcard({ relabel_configs: [{ source_labels: ["a"], regex: "(", target_label: "b" }] }),
    ),
  },
  rejectJobs("regex"),
);
add(
  "target_with_path",
  "job-values",
  "a target with a path",
  { scrape_jobs: jobs({ static_configs: [{ targets: ["10.0.0.1:80/metrics"] }] }) },
  rejectJobs("target"),
);
// --- metadata problems
add(
  "metadata_bad_uuid",
  "metadata",
  "model_uuid is not a UUID",
  { scrape_metadata: meta("bad", { model_uuid: "not-a-uuid" }) },
  { rejected: [R("relation", "model_uuid")], badJobs: 0, badRules: false },
);
add(
  "metadata_no_application",
  "metadata",
  "scrape_metadata without application",
  { scrape_metadata: j({ model: "cos", model_uuid: UUID }) },
  { rejected: [R("relation", "application")], badJobs: 0, badRules: false },
);
// --- non-leader app bag and vanishing units
add(
  "non_leader_empty_app_bag",
  "model-timing",
  "the app bag is empty (a non-leader wrote only unit data): nothing to scrape yet",
  { scrape_metadata: "", scrape_jobs: "", alert_rules: "" },
  { rejected: [], badJobs: 0, badRules: false, legacyOk: true },
);
add(
  "unit_vanished_empty_bag",
  "model-timing",
  "one listed unit has an empty bag (departing): only the other is scraped",
  {},
  accepted(1),
  {
    "bad/0": { prometheus_scrape_unit_address: "10.1.3.1", prometheus_scrape_unit_name: "bad/0" },
    "bad/1": {},
  },
);
add(
  "all_units_vanished",
  "model-timing",
  "every unit bag is empty: no targets, no error",
  {},
  { rejected: [], badJobs: 0, badRules: true },
  { "bad/0": {}, "bad/1": {} },
);
add(
  "unit_address_garbage",
  "model-timing",
  "a unit address with spaces and a newline",
  {},
  { rejected: [R("jobs", "address")], badJobs: 1, badRules: true },
  {
    "bad/0": { prometheus_scrape_unit_address: "10.1.3.1", prometheus_scrape_unit_name: "bad/0" },
    "bad/1": { prometheus_scrape_unit_address: "evil host\n- x", prometheus_scrape_unit_name: "bad/1" },
  },
);

// ============================================================================================
// Second round (issue 11): one block per class of the issue, each with cases of our own.
const OTHER_UUID = "b2c3d4e5-2222-4333-8444-555566667777";
const relationRejected = (reason) => ({ rejected: [R("relation", reason)], badJobs: 0, badRules: false });
const manyUnits = (n, extra = {}) => {
  const out = {};
  for (let u = 0; u < n; u++)
    out[`bad/${u}`] = {
      prometheus_scrape_unit_address: `10.${100 + (u >> 16)}.${(u >> 8) & 255}.${u & 255}`,
      ...extra,
    };
  return out;
};
const badUnit = (u, bag) => ({ ...units("bad"), [`bad/${u}`]: bag });

// --- 1. topology is verified, not trusted
add(
  "meta_claims_good_app",
  "trust-topology",
  "scrape_metadata names the good application: the relation is refused, good untouched",
  { scrape_metadata: meta("good") },
  relationRejected("application 'good' is not the related application 'bad'"),
);
add(
  "meta_other_model_uuid",
  "trust-topology",
  "scrape_metadata claims another model's uuid",
  { scrape_metadata: meta("bad", { model_uuid: OTHER_UUID }) },
  relationRejected("is not the uuid of the model the relation comes from"),
);
add(
  "meta_uuid_twin_prefix",
  "trust-topology",
  "a uuid sharing this model's first 8 characters (job names would collide)",
  { scrape_metadata: meta("bad", { model_uuid: "a1b2c3d4-9999-4999-8999-999999999999" }) },
  relationRejected("model_uuid"),
);
add(
  "meta_other_model_name",
  "trust-topology",
  "scrape_metadata claims another model name",
  { scrape_metadata: meta("bad", { model: "prod" }) },
  relationRejected("model 'prod' is not this model"),
);
add(
  "meta_unit_of_good",
  "trust-topology",
  "scrape_metadata's unit is one of good's units",
  { scrape_metadata: meta("bad", { unit: "good/0" }) },
  relationRejected("unit 'good/0' is not a unit of 'bad'"),
);
add(
  "unit_name_claims_good",
  "trust-topology",
  "a unit bag calls itself good/0 (juju_unit would say so)",
  {},
  { rejected: [R("jobs", "is not the unit's name")], badJobs: 1, badRules: true },
  badUnit(0, { prometheus_scrape_unit_address: "10.1.3.1", prometheus_scrape_unit_name: "good/0" }),
);
add(
  "unit_name_path_characters",
  "trust-topology",
  "a unit bag name with path characters",
  {},
  { rejected: [R("jobs", "is not the unit's name")], badJobs: 1, badRules: true },
  badUnit(1, { prometheus_scrape_unit_address: "10.1.3.2", prometheus_scrape_unit_name: "../../etc/x/1" }),
);
add(
  "no_meta_static_spoof",
  "trust-topology",
  "no scrape_metadata, a job whose static labels claim good's topology",
  {
    scrape_metadata: "",
    scrape_jobs: jobs({
      job_name: "spoof",
      static_configs: [
        {
          targets: ["10.9.9.9:80"],
          labels: { juju_application: "good", juju_model: "cos", juju_model_uuid: UUID },
        },
      ],
    }),
  },
  rejectJobs("is not this relation's topology"),
);
add(
  "no_meta_takes_good_job_name",
  "trust-topology",
  "no scrape_metadata, a job named like good's: prefixed with bad's own topology, good keeps its name",
  {
    scrape_metadata: "",
    scrape_jobs: jobs(wildcard({ job_name: "juju_cos_a1b2c3d4_good_prometheus_scrape-0" })),
  },
  accepted(2),
);
add(
  "empty_metadata_object",
  "trust-topology",
  "scrape_metadata {}: the topology Juju gives",
  { scrape_metadata: "{}" },
  accepted(2),
);
add(
  "static_juju_unit_of_good",
  "trust-topology",
  "a static juju_unit label naming good's unit",
  {
    scrape_jobs: jobs(
      wildcard({ static_configs: [{ targets: ["*:8000"], labels: { juju_unit: "good/0" } }] }),
    ),
  },
  rejectJobs("juju_unit"),
);
add(
  "static_juju_custom_label",
  "trust-topology",
  "a static label in the juju_ namespace that is not a topology label",
  {
    scrape_jobs: jobs(
      wildcard({ static_configs: [{ targets: ["*:8000"], labels: { juju_tenant: "good" } }] }),
    ),
  },
  rejectJobs("juju_tenant"),
);

// --- 2. rules are scoped to the relation's own topology
const badRule = (r) => ({ alert_rules: rules(r) });
add(
  "rule_label_replace_juju",
  "trust-rules",
  "label_replace writes juju_application",
  badRule({
    record: "bad:relabelled",
    expr: 'label_replace(up{%%juju_topology%%}, "juju_application", "good", "", "")',
  }),
  rejectRules("sets label 'juju_application'"),
);
add(
  "rule_label_join_juju",
  "trust-rules",
  "label_join writes juju_unit",
  badRule({ record: "bad:joined", expr: 'label_join(up, "juju_unit", "", "instance")' }),
  rejectRules("sets label 'juju_unit'"),
);
add(
  "rule_count_values_juju",
  "trust-rules",
  "count_values onto juju_model",
  badRule({ alert: "A", expr: 'count_values("juju_model", up)' }),
  rejectRules("sets label 'juju_model'"),
);
add(
  "rule_absent_good_unit",
  "trust-rules",
  "absent() of a selector naming good's unit would create a series labelled as good",
  badRule({ alert: "A", expr: 'absent(nope{juju_unit="good/0"})' }),
  rejectRules("absent()"),
);
add(
  "rule_record_up",
  "trust-rules",
  "a recording rule writing a fake up",
  badRule({ record: "up", expr: "vector(1)" }),
  rejectRules("may not write 'up'"),
);
add(
  "rule_record_alerts",
  "trust-rules",
  "a recording rule writing ALERTS",
  badRule({ record: "ALERTS", expr: "vector(1)" }),
  rejectRules("may not write 'ALERTS'"),
);
add(
  "rule_template_query",
  "trust-rules",
  "an annotation template running a query",
  badRule({ ...okRule, annotations: { d: '{{ with query "up" }}{{ . | first | value }}{{ end }}' } }),
  rejectRules("runs a query"),
);
add(
  "rule_templated_juju_label",
  "trust-rules",
  "a templated juju_application label",
  badRule({ ...okRule, labels: { juju_application: "{{ $labels.juju_application }}" } }),
  rejectRules("is not this relation's topology"),
);
add(
  "rule_juju_unit_of_good",
  "trust-rules",
  "a rule labelled with one of good's units",
  badRule({ ...okRule, labels: { juju_unit: "good/1" } }),
  rejectRules("is not a unit of 'bad'"),
);
add(
  "rule_matcher_all_apps",
  "trust-rules",
  "a matcher on every application: replaced by bad's own",
  badRule({ alert: "A", expr: 'sum(up{juju_application=~".+"}) > 0' }),
  accepted(),
);
add(
  "rule_unlabelled_aggregate",
  "trust-rules",
  "sum(up) without labels: scoped, and labelled with bad's topology",
  badRule({ record: "bad:up_sum", expr: "sum(up)" }),
  accepted(),
);
add(
  "rule_without_metadata",
  "trust-rules",
  "rules of a relation without scrape_metadata are scoped too",
  { scrape_metadata: "", alert_rules: rules({ alert: "A", expr: "up < 1" }) },
  accepted(),
);

// --- 3. regexes with RE2's semantics, in linear time
const relabelJob = (rc, key = "metric_relabel_configs") => ({ scrape_jobs: jobs(wildcard({ [key]: [rc] })) });
add(
  "labeldrop_case_insensitive",
  "regex-re2",
  "labeldrop (?i)JUJU_.* drops topology",
  relabelJob({ action: "labeldrop", regex: "(?i)JUJU_.*" }),
  rejectJobs("would drop topology label"),
);
add(
  "labeldrop_inline_flag_group",
  "regex-re2",
  "labeldrop (?i:JUJU_MODEL)",
  relabelJob({ action: "labeldrop", regex: "(?i:JUJU_MODEL)" }),
  rejectJobs("would drop topology label"),
);
add(
  "labelkeep_loses_topology",
  "regex-re2",
  "labelkeep that keeps no juju_* label",
  relabelJob({ action: "labelkeep", regex: "(?i)instance|job|__name__" }),
  rejectJobs("labelkeep"),
);
add(
  "regex_catastrophic",
  "regex-re2",
  "a regex exponential for a backtracking engine: checked at once",
  relabelJob({ action: "labeldrop", regex: "(.*){30}z" }, "relabel_configs"),
  accepted(2),
);
add(
  "regex_backreference",
  "regex-re2",
  "a backreference (not RE2)",
  relabelJob({ action: "keep", source_labels: ["a"], regex: "(a)\\1" }, "relabel_configs"),
  rejectJobs("invalid escape"),
);
add(
  "regex_backslash_Z",
  "regex-re2",
  "\\Z, which JavaScript reads and Go refuses",
  relabelJob({ action: "keep", source_labels: ["a"], regex: "a\\Z" }, "relabel_configs"),
  rejectJobs("invalid escape"),
);
add(
  "regex_repeat_1001",
  "regex-re2",
  "a{1001}, over RE2's repeat limit",
  relabelJob({ action: "keep", source_labels: ["a"], regex: "a{1001}" }, "relabel_configs"),
  rejectJobs("invalid repeat count"),
);
add(
  "regex_bad_posix_class",
  "regex-re2",
  "[[:foo:]], an unknown POSIX class",
  relabelJob({ action: "drop", source_labels: ["a"], regex: "[[:foo:]]" }, "relabel_configs"),
  rejectJobs("invalid character class"),
);
add(
  "regex_js_named_group",
  "regex-re2",
  "(?<n>...), which Prometheus 2's Go does not read",
  relabelJob({ action: "drop", source_labels: ["a"], regex: "(?<n>a)" }, "relabel_configs"),
  rejectJobs("(?P<name>"),
);

// --- 4. bounds, checked before copying; no recursion over input depth
const deep = (n) => `${"[".repeat(n)}${"]".repeat(n)}`;
add(
  "deep_json_rules",
  "bounds",
  "alert_rules nested 10,000 levels",
  { alert_rules: deep(10000) },
  rejectRules("maxJsonDepth"),
);
add(
  "deep_json_jobs",
  "bounds",
  "scrape_jobs nested 10,000 levels",
  { scrape_jobs: deep(10000) },
  rejectJobs("maxJsonDepth"),
);
add(
  "deep_json_metadata",
  "bounds",
  "scrape_metadata nested 10,000 levels inside a field",
  { scrape_metadata: `{"model":${deep(10000)}}` },
  relationRejected("maxJsonDepth"),
);
add(
  "unit_bag_over_bound",
  "bounds",
  "a unit's path over the unit-value bound (it would be copied into every job)",
  {},
  { rejected: [R("jobs", "maxUnitValueBytes")], badJobs: 1, badRules: true },
  badUnit(1, {
    prometheus_scrape_unit_address: "10.1.3.2",
    prometheus_scrape_unit_path: `/${"p".repeat(5000)}`,
  }),
);
add(
  "units_over_bound",
  "bounds",
  "5,001 units: refused before any unit bag is read",
  {},
  { ...relationRejected("maxUnits"), badRules: false },
  manyUnits(5001),
);
add(
  "units_over_targets",
  "bounds",
  "2,501 units and two '*' targets: a job would have 5,002 targets",
  { scrape_jobs: jobs({ static_configs: [{ targets: ["*:8000", "*:8001"] }] }) },
  { rejected: [R("jobs", "maxTargetsPerJob")], badJobs: 0, badRules: true },
  manyUnits(2501),
);
add(
  "expanded_job_bytes",
  "bounds",
  "a job whose copies for every unit exceed the bound (lowered to 64 KiB for this case)",
  {
    scrape_jobs: jobs(
      wildcard({ static_configs: [{ targets: ["*:8000"], labels: { pad: "x".repeat(16 * 1024) } }] }),
    ),
  },
  { ...rejectJobs("maxExpandedJobBytes"), limits: { maxExpandedJobBytes: 65536 } },
  manyUnits(10),
);

// --- 5. output Prometheus can read
const labelled = (v) => ({
  scrape_jobs: jobs(wildcard({ static_configs: [{ targets: ["*:8000"], labels: { v } }] })),
});
add(
  "yaml_line_separators",
  "yaml-output",
  "U+2028, U+2029 and U+0085 in a label value",
  labelled("a\u2028b\u2029c\u0085d"),
  accepted(2),
);
add(
  "yaml_c1_and_del",
  "yaml-output",
  "DEL and C1 controls in a label value",
  labelled("\u007f\u0080\u009f"),
  accepted(2),
);
add(
  "yaml_noncharacters",
  "yaml-output",
  "U+FFFE and U+FFFF in a label value",
  labelled("\ufffe\uffff"),
  accepted(2),
);
add(
  "yaml_bom_and_nul",
  "yaml-output",
  "a byte-order mark and NUL in a label value",
  labelled("\ufeffx\u0000y"),
  accepted(2),
);
add(
  "yaml_lone_surrogate",
  "yaml-output",
  "a lone surrogate (no UTF-8 form)",
  labelled("x\ud800y"),
  rejectJobs("lone surrogate"),
);
add(
  "yaml_merge_key",
  "yaml-output",
  "'<<' as a params key (a YAML merge key when plain)",
  { scrape_jobs: jobs(wildcard({ params: { "<<": ["x"], module: ["<<"] } })) },
  accepted(2),
);
add(
  "yaml_yaml11_words",
  "yaml-output",
  "values YAML 1.1 reads as booleans, nulls and numbers",
  labelled("no"),
  accepted(2),
);
add(
  "long_job_name",
  "yaml-output",
  "a 300-character job name",
  { scrape_jobs: jobs(wildcard({ job_name: "j".repeat(300) })) },
  accepted(2),
);

// --- 6. what Prometheus itself refuses
const badExpr = (expr) => badRule({ alert: "A", expr });
add(
  "rule_rate_of_instant",
  "prometheus-refuses",
  "rate(up)",
  badExpr("rate(up)"),
  rejectRules("range vector"),
);
add(
  "rule_scalar_comparison",
  "prometheus-refuses",
  "1 > 2 without bool",
  badExpr("1 > 2"),
  rejectRules("BOOL"),
);
add(
  "rule_double_offset",
  "prometheus-refuses",
  "offset twice",
  badExpr("up offset 5m offset 5m"),
  rejectRules("multiple times"),
);
add("rule_double_at", "prometheus-refuses", "@ twice", badExpr("up @ 1 @ 2"), rejectRules("multiple times"));
add(
  "rule_zero_range",
  "prometheus-refuses",
  "a range of 0s",
  badExpr("rate(up[0s])"),
  rejectRules("greater than 0"),
);
add(
  "rule_wrong_arity",
  "prometheus-refuses",
  "abs() without its argument",
  badExpr("abs()"),
  rejectRules("argument"),
);
add(
  "rule_bad_matcher_regex",
  "prometheus-refuses",
  "a matcher regex that does not compile",
  badExpr('up{a=~"("}'),
  rejectRules("regexp"),
);
add(
  "rule_set_op_scalar",
  "prometheus-refuses",
  "a set operator on a scalar",
  badExpr("up and 1"),
  rejectRules("set operator"),
);
add(
  "rule_empty_selector",
  "prometheus-refuses",
  "a selector matching everything",
  badExpr('{a=~".*"}'),
  rejectRules("non-empty matcher"),
);
add(
  "rule_name_label",
  "prometheus-refuses",
  "a __name__ rule label",
  badRule({ ...okRule, labels: { __name__: "x" } }),
  rejectRules("__name__"),
);
add(
  "rule_template_unparsable",
  "prometheus-refuses",
  "an annotation template that does not parse",
  badRule({ ...okRule, annotations: { a: "{{ $labels.x " } }),
  rejectRules("template"),
);
add(
  "rule_group_query_offset",
  "prometheus-refuses",
  "query_offset, a key Prometheus 2 does not know (this corpus targets Debian's 2.42)",
  { alert_rules: j({ groups: [{ name: "bad_alerts", query_offset: "1m", rules: [okRule] }] }) },
  rejectRules("query_offset"),
);
add(
  "job_duration_overflow",
  "prometheus-refuses",
  "a scrape interval over Go's time.Duration",
  { scrape_jobs: jobs(wildcard({ scrape_interval: "300y" })) },
  rejectJobs("scrape_interval"),
);
add(
  "job_integer_as_float",
  "prometheus-refuses",
  "sample_limit written as 1e20",
  { scrape_jobs: jobs(wildcard({ sample_limit: 1e20 })) },
  rejectJobs("sample_limit"),
);
add(
  "job_auth_type_space",
  "prometheus-refuses",
  "an authorization type with a space",
  { scrape_jobs: jobs(wildcard({ authorization: { type: "Bearer x", credentials: "c" } })) },
  rejectJobs("authorization.type"),
);
add(
  "job_proxy_url_go_refuses",
  "prometheus-refuses",
  "a proxy URL with a space in the host",
  { scrape_jobs: jobs(wildcard({ proxy_url: "http://proxy host:3128" })) },
  rejectJobs("proxy_url"),
);

// --- 7. IPv6
const v6 = (...addrs) =>
  Object.fromEntries(
    addrs.map((a, u) => [
      `bad/${u}`,
      { prometheus_scrape_unit_address: a, prometheus_scrape_unit_name: `bad/${u}` },
    ]),
  );
add(
  "ipv6_unit_addresses",
  "ipv6",
  "IPv6 unit addresses: bracketed in targets",
  {},
  { ...accepted(2), present: ["[fd00::1]:8000", "[fd00::2]:8000"] },
  v6("fd00::1", "fd00::2"),
);
add(
  "ipv6_v4_mapped",
  "ipv6",
  "an IPv4-mapped IPv6 address",
  {},
  { ...accepted(2), present: ["[::ffff:10.1.3.1]:8000"] },
  v6("::ffff:10.1.3.1", "10.1.3.2"),
);
add(
  "ipv6_bracketed_in_bag",
  "ipv6",
  "an address given in brackets",
  {},
  { ...accepted(2), present: ["[fd00::3]:8000"] },
  v6("[fd00::3]", "10.1.3.2"),
);
add(
  "ipv6_host_port_is_not_an_address",
  "ipv6",
  "cafe:8080 is a host and port, not an IPv6 address",
  {},
  { rejected: [R("jobs", "address")], badJobs: 1, badRules: true },
  v6("10.1.3.1", "cafe:8080"),
);

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
cases.forEach((c, i) => {
  const appData = {
    scrape_metadata: meta("bad"),
    scrape_jobs: j([wildcard()]),
    alert_rules: rules(okRule),
    ...c.appData,
  };
  for (const k of Object.keys(appData)) if (appData[k] === "") delete appData[k];
  const state = {
    description: c.description,
    category: c.category,
    // The relations live in Prometheus' own model: their metadata must be this model's.
    model: { name: "cos", uuid: UUID },
    relations: [GOOD, { id: 2, remote_app: "bad", app_data: appData, units: c.badUnits ?? units("bad") }],
    expect: c.expect,
  };
  if (c.expect.limits) state.limits = c.expect.limits;
  // Cases with thousands of units are written on one line (the others stay readable).
  const unitCount = Object.keys(state.relations[1].units).length;
  writeFileSync(
    join(OUT, `${String(i + 1).padStart(3, "0")}_${c.name}.json`),
    `${unitCount > 100 ? JSON.stringify(state) : JSON.stringify(state, null, 1)}\n`,
  );
});
console.log(`${cases.length} cases written to ${OUT}`);
