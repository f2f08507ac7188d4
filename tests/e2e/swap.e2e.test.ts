/**
 * End-to-end: the endpoints that complete the swap, on the local runtime with the real Debian
 * prometheus (server, agent-mode client and observer) and prometheus-alertmanager. One model for the
 * whole file (tests/e2e/swap-bundle.yaml); each test builds on the state the previous one left.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CHARMS, getJson, LocalModel, packCharms, query, ROOT } from "./support.js";

interface Target {
  health: string;
  labels: Record<string, string>;
  scrapeUrl: string;
  lastError: string;
}

/** GET over https trusting only `ca`; resolves status, body and the served certificate's serial and SANs. */
function httpsGet(
  url: string,
  ca: string,
): Promise<{ status: number; body: string; serial: string; sans: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, timeout: 5000 }, (res) => {
      // The socket leaves the response once it ends (keep-alive): read the certificate now.
      const cert = (res.socket as import("node:tls").TLSSocket | null)?.getPeerCertificate?.();
      let body = "";
      res.on("data", (c: Buffer) => {
        body += c.toString();
      });
      res.on("end", () => {
        resolve({
          status: res.statusCode ?? 0,
          body,
          serial: cert?.serialNumber ?? "",
          sans: cert?.subjectaltname ?? "",
        });
      });
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

/** The start of a PEM block's base64 body, whitespace removed (compared with a bundle likewise). */
function pemBody(pem: string): string {
  return pem
    .replace(/-----[A-Z ]+-----/g, "")
    .replace(/\s+/g, "")
    .slice(0, 200);
}

async function action(
  m: LocalModel,
  unit: string,
  name: string,
  ...params: string[]
): Promise<Record<string, string>> {
  const out = await m.cli("run-action", unit, name, ...params, "--format", "json");
  const parsed = JSON.parse(out) as { results?: Record<string, string> } & Record<string, unknown>;
  return (parsed.results ?? parsed) as Record<string, string>;
}

describe("local model: the swap endpoints", { timeout: 900_000 }, () => {
  const m = new LocalModel("swap");
  let host = "";
  let prom = "";
  let ca = "";
  let upOutput = "";

  const promJson = async <T>(path: string): Promise<T> =>
    JSON.parse((await httpsGet(`${prom}${path}`, ca)).body) as T;
  const promQuery = async (expr: string) =>
    (
      await promJson<{ data: { result: { metric: Record<string, string>; value: [number, string] }[] } }>(
        `/api/v1/query?query=${encodeURIComponent(expr)}`,
      )
    ).data.result;

  before(async () => {
    await packCharms(CHARMS);
    upOutput = await m.cli("up", join(ROOT, "tests/e2e/swap-bundle.yaml"), "--timeout", "600");
    host = (await m.unit("prometheus/0")).fqdn;
    prom = `https://${host}:9090`;
    ca = (await action(m, "ca/0", "get-ca"))["ca-certificate"] ?? "";
  });
  after(async () => {
    await m.down();
  });

  test("every unit settles active", async () => {
    const s = await m.until(
      "all units active",
      async () => {
        const st = await m.status();
        return st.units.every((u) => u.workload === "active") ? st : undefined;
      },
      { timeoutMs: 180_000, unit: "prometheus/0" },
    );
    assert.equal(s.units.length, 9);
  });

  test("certificates: Prometheus serves https with the certificate the CA tester issued", async () => {
    assert.match(ca, /BEGIN CERTIFICATE/);
    const r = await m.until("https answered with the issued chain", async () => {
      const x = await httpsGet(`${prom}/api/v1/status/flags`, ca).catch(() => undefined);
      return x?.status === 200 ? x : undefined;
    });
    const flags = JSON.parse(r.body) as { data: Record<string, string> };
    assert.equal(flags.data["web.external-url"], `https://${host}:9090`);
    assert.equal(flags.data["web.config.file"], "/etc/prometheus/prometheus-web-config.yml");
    await assert.rejects(
      fetch(`http://${host}:9090/-/ready`).then((x) => x.text().then((t) => assert.match(t, /Ready/))),
    );
    // `up` tells the user the https URL (the port answers TLS).
    assert.match(upOutput, new RegExp(`prometheus/0 +https://${host.replaceAll(".", "\\.")}:9090\\b`));
    // The self-scrape goes over https with our CA (the target appears once the reloaded
    // configuration's discovery has run, so it is waited for).
    const self = await m.until("the self-scrape target", async () =>
      (await promJson<{ data: { activeTargets: Target[] } }>("/api/v1/targets")).data.activeTargets.find(
        (t) => t.labels.job === "prometheus",
      ),
    );
    assert.ok(self.scrapeUrl.startsWith("https://"), self.scrapeUrl);
  });

  test("receive-ca-cert: a target whose certificate comes from another CA is scraped over https", async () => {
    const t = await m.until(
      "the https target up",
      async () => {
        const all = (await promJson<{ data: { activeTargets: Target[] } }>("/api/v1/targets")).data
          .activeTargets;
        const x = all.find((y) => y.labels.juju_application === "secure-target");
        return x?.health === "up" ? x : undefined;
      },
      { timeoutMs: 120_000, unit: "prometheus/0" },
    );
    assert.ok(t.scrapeUrl.startsWith("https://"), t.scrapeUrl);
    const v = await promQuery("tester_https_up");
    assert.deepEqual(
      v.map((x) => x.value[1]),
      ["1"],
    );
    // update-ca-certificates ran in Prometheus' container, whose /etc/ssl is its own: the host's
    // bundle never gets the model's CAs (local/src/trust-store.ts).
    const hostBundle = readFileSync("/etc/ssl/certs/ca-certificates.crt", "utf8").replace(/\s+/g, "");
    assert.ok(!hostBundle.includes(pemBody(ca)), "the CA tester's CA is in the host's trust store");
  });

  test("receive-remote-write: the client's samples arrive and its forwarded rule fires in Alertmanager", async () => {
    const s = await m.status();
    const series = await m.until("pushed samples", async () => {
      const r = await promQuery('up{juju_application="rw"}');
      return r.length > 0 ? r : undefined;
    });
    assert.equal(series[0]?.metric.juju_unit, "rw/0");
    const groups = (
      await promJson<{
        data: { groups: { name: string; file: string; rules: { name: string; query: string }[] }[] };
      }>("/api/v1/rules")
    ).data.groups;
    const file = `/etc/prometheus/rules/juju_${s.model.name}_${s.model.uuid.slice(0, 8)}_rw.rules`;
    const mine = groups.filter((g) => g.file === file);
    assert.ok(mine.length >= 2, `groups from ${file}: ${groups.map((g) => g.file).join()}`);
    const rule = mine.flatMap((g) => g.rules).find((r) => r.name === "RemoteWriteTesterAlwaysFiring");
    assert.ok(rule);
    assert.ok(
      rule.query.includes('juju_application="rw"') &&
        rule.query.includes(`juju_model_uuid="${s.model.uuid}"`),
      rule.query,
    );
    const am = `http://${(await m.unit("alertmanager/0")).fqdn}:9093`;
    await m.until(
      "RemoteWriteTesterAlwaysFiring in Alertmanager",
      async () => {
        const a = await getJson<{ labels: Record<string, string> }[]>(`${am}/api/v2/alerts`);
        return a.some(
          (x) => x.labels.alertname === "RemoteWriteTesterAlwaysFiring" && x.labels.juju_application === "rw",
        )
          ? a
          : undefined;
      },
      { timeoutMs: 120_000, unit: "prometheus/0" },
    );
  });

  test("receive-remote-write: a rule Prometheus refuses is fed back to the client, and nothing else breaks", async () => {
    await m.cli("config", "rw", "broken_alert_rule=true");
    const rw = await m.until("the client told why", async () => {
      const u = await m.unit("rw/0");
      return u.workload === "blocked" && u.message.includes("refused our alert rules") ? u : undefined;
    });
    assert.match(rw.message, /could not parse expression/);
    const p = await m.unit("prometheus/0");
    assert.equal(p.workload, "blocked");
    assert.match(p.message, /receive-remote-write:\d+/);
    assert.ok((await promQuery("tester_https_up")).length === 1, "other relations unaffected");
    await m.cli("config", "rw", "broken_alert_rule=false");
    await m.until("both active again", async () => {
      const st = await m.status();
      const ok = ["rw/0", "prometheus/0"].every(
        (n) => st.units.find((u) => u.name === n)?.workload === "active",
      );
      return ok ? st : undefined;
    });
  });

  test("charm tracing: the hooks' spans reach the tracing receiver", async () => {
    const got = await m.until("spans of prometheus' hooks", async () => {
      const r = await action(m, "tempo/0", "received");
      const services = JSON.parse(r.services ?? "[]") as string[];
      const spans = JSON.parse(r.spans ?? "[]") as string[];
      return services.includes("prometheus") && spans.some((s) => s.endsWith(": PrometheusCharm"))
        ? { services, spans }
        : undefined;
    });
    assert.ok(got.spans.includes("update-status"), got.spans.join());
  });

  test("workload tracing: Prometheus is configured to send its traces to the receiver's gRPC endpoint", async () => {
    const r = await action(m, "prometheus/0", "show-config");
    const tempo = await m.unit("tempo/0");
    const endpoint = /tracing:\n {2}endpoint: (\S+):4317\n {2}insecure: false\n/.exec(
      r["prometheus-yml"] ?? "",
    )?.[1];
    assert.ok(endpoint === tempo.fqdn, r["prometheus-yml"]);
    assert.match(
      r["prometheus-yml"] ?? "",
      / {2}tls_config:\n {4}ca_file: \/usr\/local\/share\/ca-certificates\/ca\.crt/,
    );
  });

  test("logging: Pebble forwards Prometheus' own log lines to Loki with the topology labels", async () => {
    const got = await m.until("Prometheus' lines in Loki", async () => {
      const r = await action(m, "loki/0", "received");
      const streams = JSON.parse(r.streams ?? "[]") as { labels: Record<string, string>; lines: number }[];
      const mine = streams.find(
        (x) => x.labels.juju_application === "prometheus" && x.labels.pebble_service === "prometheus",
      );
      return mine && mine.lines > 0 ? mine : undefined;
    });
    assert.equal(got.labels.juju_unit, "prometheus/0");
    assert.equal(got.labels.charm, "prometheus-k8s");
    assert.match(got.labels.job ?? "", /^juju_.*_prometheus$/);
  });

  test("self-metrics-endpoint: another Prometheus scrapes this one over https with the CA in the job", async () => {
    const observer = `http://${(await m.unit("observer/0")).fqdn}:9090`;
    const t = await m.until(
      "the observer's target up",
      async () => {
        const all = (await getJson<{ data: { activeTargets: Target[] } }>(`${observer}/api/v1/targets`)).data
          .activeTargets;
        const x = all.find((y) => y.labels.juju_application === "prometheus");
        return x?.health === "up" ? x : undefined;
      },
      { timeoutMs: 120_000, unit: "observer/0" },
    );
    assert.equal(t.scrapeUrl, `https://${host}:9090/metrics`);
    const v = await query(observer, 'prometheus_build_info{juju_application="prometheus"}');
    assert.equal(v.length, 1);
  });

  test("self-metrics-endpoint through ingress: the observer scrapes the ingress URL, the certificate names the ingress host", async () => {
    await m.cli("relate", "prometheus:ingress", "ingress:ingress");
    const ingress = (await m.unit("ingress/0")).fqdn;
    const observer = `http://${(await m.unit("observer/0")).fqdn}:9090`;
    const t = await m.until(
      "the observer scraping through the ingress",
      async () => {
        const all = (await getJson<{ data: { activeTargets: Target[] } }>(`${observer}/api/v1/targets`)).data
          .activeTargets;
        const x = all.find((y) => y.labels.juju_application === "prometheus");
        return x?.health === "up" && x.scrapeUrl.startsWith(`http://${ingress}`) ? x : undefined;
      },
      { timeoutMs: 180_000, unit: "observer/0" },
    );
    assert.match(
      t.scrapeUrl,
      new RegExp(`^http://${ingress.replaceAll(".", "\\.")}(:80)?/swap-prometheus-0/metrics$`),
    );
    const flags = await promJson<{ data: Record<string, string> }>("/api/v1/status/flags");
    assert.ok(
      flags.data["web.external-url"]?.startsWith(`http://${ingress}/`),
      flags.data["web.external-url"],
    );
    // The CSR gained the ingress host; the certificate issued for it is the one served.
    const served = await m.until(
      "a certificate naming the ingress host",
      async () => {
        const x = await httpsGet(`${prom}/-/ready`, ca).catch(() => undefined);
        return x?.sans.includes(ingress) ? x : undefined;
      },
      { timeoutMs: 120_000, unit: "prometheus/0" },
    );
    assert.ok(served.sans.includes(host), served.sans);
  });

  test("cpu/memory: no Kubernetes API here, and the status says so instead of claiming active", async () => {
    await m.cli("config", "prometheus", "cpu=500m");
    const u = await m.until("blocked on cpu", async () => {
      const x = await m.unit("prometheus/0");
      return x.message.includes("cpu/memory limits are not applied") ? x : undefined;
    });
    assert.equal(u.workload, "blocked");
    await m.cli("config", "prometheus", "cpu=");
    await m.until("active again", async () => {
      const x = await m.unit("prometheus/0");
      return x.workload === "active" ? x : undefined;
    });
    const r = await action(m, "prometheus/0", "show-config");
    // statfs of the database storage where the charm container sees it (storage-get's location,
    // Juju's /var/lib/juju/storage/<name>/<n>), not the workload's mount point.
    assert.match(
      r["retention-size-from"] ?? "",
      /^statfs of \/var\/lib\/juju\/storage\/database\/0 \(no Kubernetes API here\)$/,
    );
  });

  test("certificates: a CA rotation revokes the certificate; Prometheus gets a new one from the new CA", async () => {
    const before = await httpsGet(`${prom}/-/ready`, ca);
    const rotated = (await action(m, "ca/0", "rotate-ca"))["ca-certificate"] ?? "";
    assert.notEqual(rotated, ca);
    const after = await m.until(
      "served by the new CA",
      async () => {
        const x = await httpsGet(`${prom}/-/ready`, rotated).catch(() => undefined);
        return x?.status === 200 ? x : undefined;
      },
      { timeoutMs: 180_000, unit: "prometheus/0" },
    );
    assert.notEqual(after.serial, before.serial);
    ca = rotated;
    await m.until("prometheus active", async () => {
      const x = await m.unit("prometheus/0");
      return x.workload === "active" ? x : undefined;
    });
  });
});
