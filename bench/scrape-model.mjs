// The synthetic model the prometheus-scrape benchmarks render: APPS related applications, each
// with one wildcard job, UNITS units and RULES alert rules whose labels carry the app's topology
// (so every expression gets matchers injected). Shared by bench/prometheus-scrape.mjs and ad-hoc
// profiling (`node --cpu-prof -e ...`).
export const UNITS = 10;
export const RULES = 20;

const EXPRS = [
  (i) => `rate(http_requests_total{code=~"5..",%%juju_topology%%}[5m]) > ${i}`,
  (i) => `up{%%juju_topology%%} < 1 and on(instance) absent(node_load${i})`,
  (i) => `sum by (job) (rate(process_cpu_seconds_total[5m])) / sum by (job) (rate(x_${i}[5m] offset 1h)) > 2`,
  (i) => `histogram_quantile(0.99, sum(rate(req_bucket{le!="+Inf"}[5m])) by (le)) > ${i}`,
];

function uuidFor(i) {
  const hex = i.toString(16).padStart(8, "0");
  return `${hex}-1111-4222-8333-444455556666`;
}

/**
 * A consumer state in the fixtures' format with `apps` related applications. By default every
 * app ships the same 20 expressions (one charm related many times); with `charms` > 1, app `a`
 * ships the rules of charm `a % charms`, whose metric names are its own, so the model holds
 * 20 x charms distinct expressions (a heterogeneous model).
 */
export function generate(apps, { charms = 1 } = {}) {
  const relations = [];
  for (let a = 0; a < apps; a++) {
    const app = `app-${a}`;
    const model = `model-${a % 7}`;
    const uuid = uuidFor(a);
    const labels = { severity: "warning", juju_model: model, juju_model_uuid: uuid, juju_application: app };
    const rules = [];
    for (let r = 0; r < RULES; r++) {
      rules.push({
        alert: `Alert${r}`,
        expr:
          charms > 1
            ? EXPRS[r % EXPRS.length](r)
                .replaceAll("(rate(", `(rate(c${a % charms}_`)
                .replace(/^up\{/, `c${a % charms}_up{`)
                .replace(/^rate\(/, `rate(c${a % charms}_`)
                .replace("(req_bucket", `(c${a % charms}_req_bucket`)
            : EXPRS[r % EXPRS.length](r),
        for: "5m",
        labels,
        annotations: { summary: `rule ${r} of ${app}` },
      });
    }
    const units = {};
    for (let u = 0; u < UNITS; u++) {
      units[`${app}/${u}`] = {
        prometheus_scrape_unit_address: `10.${(a >> 8) & 255}.${a & 255}.${u + 1}`,
        prometheus_scrape_unit_name: `${app}/${u}`,
        prometheus_scrape_unit_fqdn: `${app}-${u}.${app}-endpoints.${model}.svc.cluster.local`,
      };
    }
    relations.push({
      id: a + 1,
      remote_app: app,
      // Each app lives in its own model (7 model names): cross-model relations, as Juju reports.
      remote_model_uuid: uuid,
      app_data: {
        scrape_metadata: JSON.stringify({
          model,
          model_uuid: uuid,
          application: app,
          unit: `${app}/0`,
          charm_name: "c",
        }),
        scrape_jobs: JSON.stringify([
          { metrics_path: "/metrics", static_configs: [{ targets: ["*:9100"] }] },
        ]),
        alert_rules: JSON.stringify({
          groups: [{ name: `${model}_${uuid.slice(0, 8)}_${app}_alerts`, rules }],
        }),
      },
      units,
    });
  }
  return { model: { name: "cos", uuid: "f2c1b2a4-7a3e-4c1d-9b5e-1a2b3c4d5e6f" }, relations };
}
