/** Test support: a render input with one scrape job and one Alertmanager, as the charm builds it. */
import type { RenderInput } from "./render.js";

/** The unit the config is rendered for. */
export const TOPOLOGY = {
  model: "cos",
  modelUuid: "c2e9f4d5-dcb3-4870-8509-330eb9745ee8",
  application: "prometheus",
  unit: "prometheus/0",
};
/** A relation job as the scrape library gives it. */
export const ZINC_JOB = {
  job_name: "juju_cos_c2e9f4d5_zinc-k8s_prometheus_scrape-0",
  metrics_path: "/metrics",
  static_configs: [
    {
      targets: ["10.1.2.3:4080"],
      labels: {
        juju_model: "cos",
        juju_model_uuid: "c2e9f4d5-dcb3-4870-8509-330eb9745ee8",
        juju_application: "zinc-k8s",
        juju_charm: "zinc-k8s",
        juju_unit: "zinc-k8s/0",
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
  fallback_scrape_protocol: "PrometheusText0.0.4",
  // As the scrape library gives it for a trusted aggregator (the Python charm's value).
  honor_labels: true,
};
/** Prometheus 3, {@link ZINC_JOB}, one Alertmanager. */
export const BASE: RenderInput = {
  topology: TOPOLOGY,
  fqdn: "prometheus-0.prometheus-endpoints.cos.svc.cluster.local",
  tls: false,
  evaluationInterval: "1m",
  maxExemplars: 0,
  jobs: [ZINC_JOB],
  alertmanagers: [
    {
      scheme: "http",
      path_prefix: "/",
      static_configs: [{ targets: ["am-0.am-endpoints.cos.svc.cluster.local:9093"] }],
    },
  ],
  prometheusMajor: 3,
};
