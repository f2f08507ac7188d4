/**
 * End-to-end: the packed charm and tester charms on the local runtime, each unit in its pod, with
 * the Debian prometheus, prometheus-alertmanager and nginx. Units reach each other by their FQDNs
 * (<app>-<n>.<app>-endpoints.<model>.svc.cluster.local), and so does this test, from the host. One
 * model for the whole file; each test builds on the state the previous one left, in order.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { panelsOf, screenshot, withChromium } from "./browser.js";
import { getJson, LocalModel, packCharms, query, ROOT } from "./support.js";

/** Where the dashboard test leaves its screenshot (dist/ is not committed). */
const SCREENSHOT = join(ROOT, "dist/screenshots/grafana-dashboard.png");

const TOPOLOGY = ["juju_model", "juju_model_uuid", "juju_application", "juju_unit", "juju_charm"];

interface Target {
  health: string;
  labels: Record<string, string>;
  scrapeUrl: string;
  lastScrape: string;
}
interface RuleGroup {
  name: string;
  file: string;
  rules: { name: string; query: string; state?: string }[];
}

describe("local model: prometheus-k8s with testers", { timeout: 600_000 }, () => {
  const m = new LocalModel("e2e");
  const fqdn = (unit: string) =>
    `${unit.replace("/", "-")}.${unit.split("/")[0]}-endpoints.e2e.svc.cluster.local`;
  let prom = "";
  let pid: number | undefined;

  const targets = async (): Promise<Target[]> =>
    (await getJson<{ data: { activeTargets: Target[] } }>(`${prom}/api/v1/targets`)).data.activeTargets;
  const rules = async (): Promise<RuleGroup[]> =>
    (await getJson<{ data: { groups: RuleGroup[] } }>(`${prom}/api/v1/rules`)).data.groups;
  const testerTargets = async (): Promise<Target[]> =>
    (await targets()).filter((t) => t.labels.juju_charm === "metrics-tester");

  before(async () => {
    await packCharms();
    await m.cli("up", join(ROOT, "tests/e2e/bundle.yaml"), "--timeout", "240");
    prom = `http://${(await m.unit("prometheus/0")).fqdn}:9090`;
    pid = m.prometheusPid();
  });
  after(async () => {
    await m.down();
  });

  test("every unit settles active in its pod, named as on Kubernetes", async () => {
    const s = await m.status();
    for (const u of s.units) {
      assert.equal(u.workload, "active", `${u.name}: ${u.message}`);
      assert.equal(u.fqdn, fqdn(u.name));
    }
    assert.equal(new Set(s.units.map((u) => u.address)).size, s.units.length, "one address per pod");
    assert.ok(pid, "a prometheus process runs in prometheus/0's pod");
  });

  test("relation data carries FQDNs: Grafana, ingress, catalogue and Alertmanager URLs", async () => {
    const ingressUrl = `http://${fqdn("ingress/0")}/e2e-prometheus-0`;
    // The ingress request names the unit by its FQDN; the ingress answers with a URL on its own.
    const ingress = await m.relation("prometheus/0", "ingress");
    assert.equal(ingress["local-unit"].data.host, fqdn("prometheus/0"));
    assert.equal(ingress["application-data"].ingress, `prometheus/0:\n  url: ${ingressUrl}\n`);
    // Grafana's datasource for the unit is its external (ingress) URL, as the Python charm's.
    const grafana = await m.relation("prometheus/0", "grafana-source");
    assert.equal(grafana["local-unit"].data.grafana_source_host, ingressUrl);
    const catalogue = await m.relation("catalogue/0", "catalogue");
    assert.equal(catalogue["application-data"].url, ingressUrl);
    // Alertmanager gives its own FQDN, which Prometheus puts in its alerting config.
    const am = await m.relation("prometheus/0", "alertmanager");
    const amUnit = am["related-units"]["alertmanager/0"]?.data ?? {};
    assert.equal(amUnit.url, `http://${fqdn("alertmanager/0")}:9093`);
    assert.equal(amUnit.public_address, `${fqdn("alertmanager/0")}:9093`);
    const config = await getJson<{ data: { yaml: string } }>(`${prom}/api/v1/status/config`);
    assert.match(config.data.yaml, new RegExp(`- ${fqdn("alertmanager/0").replace(/\./g, "\\.")}:9093`));
  });

  test("every target unit is scraped, each series carrying the five juju_* labels", async () => {
    const up = await m.until(
      "3 tester targets up",
      async () => {
        const t = await testerTargets();
        return t.length === 3 && t.every((x) => x.health === "up") ? t : undefined;
      },
      { timeoutMs: 60_000, unit: "prometheus/0" },
    );
    assert.deepEqual(up.map((t) => t.labels.juju_unit).sort(), ["targets-a/0", "targets-a/1", "targets-b/0"]);
    // As with the Python library, a target publishes its bind address (the pod's address, from
    // network-get) for Prometheus to scrape, and its FQDN beside it.
    const units = (await m.status()).units;
    const related = (await m.relations("prometheus/0")).flatMap((r) => Object.entries(r["related-units"]));
    for (const t of up) {
      const unit = t.labels.juju_unit ?? "";
      assert.equal(new URL(t.scrapeUrl).hostname, units.find((u) => u.name === unit)?.address);
      const bag = related.find(([name]) => name === unit)?.[1].data;
      assert.equal(bag?.prometheus_scrape_unit_fqdn, fqdn(unit));
    }
    const series = await m.until("tester_up samples", async () => {
      const r = await query(prom, "tester_up");
      return r.length === 3 ? r : undefined;
    });
    const s = await m.status();
    for (const x of series) {
      for (const l of TOPOLOGY) assert.ok(x.metric[l], `${l} on ${JSON.stringify(x.metric)}`);
      assert.equal(x.metric.juju_model, s.model.name);
      assert.equal(x.metric.juju_model_uuid, s.model.uuid);
      assert.equal(x.metric.juju_charm, "metrics-tester");
      assert.match(x.metric.juju_unit ?? "", new RegExp(`^${x.metric.juju_application}/\\d+$`));
    }
  });

  test("the targets' alert rules are loaded with topology matchers injected", async () => {
    const s = await m.status();
    const groups = await m.until("rule groups of both targets", async () => {
      const g = await rules();
      const apps = new Set(
        g.flatMap((x) => x.rules.map((r) => /juju_application="([^"]+)"/.exec(r.query)?.[1])),
      );
      return apps.has("targets-a") && apps.has("targets-b") ? g : undefined;
    });
    const firing = groups
      .flatMap((g) => g.rules)
      .filter((r) => r.name === "TesterAlwaysFiring")
      .map((r) => r.query)
      .sort();
    assert.equal(firing.length, 2);
    for (const q of firing) {
      assert.match(q, /^tester_up\{.*\} > 0$/);
      assert.ok(q.includes(`juju_model="${s.model.name}"`), q);
      assert.ok(q.includes(`juju_model_uuid="${s.model.uuid}"`), q);
    }
    assert.ok(firing[0]!.includes('juju_application="targets-a"'));
    assert.ok(firing[1]!.includes('juju_application="targets-b"'));
  });

  test("the always-firing rule reaches the real Alertmanager", async () => {
    const am = `http://${fqdn("alertmanager/0")}:9093`;
    const alerts = await m.until(
      "TesterAlwaysFiring in Alertmanager",
      async () => {
        const a = await getJson<{ labels: Record<string, string> }[]>(`${am}/api/v2/alerts`);
        const mine = a.filter((x) => x.labels.alertname === "TesterAlwaysFiring");
        return mine.length >= 3 ? mine : undefined;
      },
      { timeoutMs: 150_000, unit: "prometheus/0" },
    );
    for (const a of alerts)
      for (const l of TOPOLOGY) assert.ok(a.labels[l], `${l} on ${JSON.stringify(a.labels)}`);
  });

  test("Prometheus is served through the nginx ingress, API included", async () => {
    const flags = await getJson<{ data: Record<string, string> }>(`${prom}/api/v1/status/flags`);
    const external = flags.data["web.external-url"] ?? "";
    assert.equal(external, `http://${fqdn("ingress/0")}/e2e-prometheus-0`);
    const r = await getJson<{ status: string; data: { result: unknown[] } }>(
      `${external}/api/v1/query?query=${encodeURIComponent("up")}`,
    );
    assert.equal(r.status, "success");
    assert.ok(r.data.result.length >= 4, "self + 3 targets through the proxy");
    const ready = await fetch(`${external}/-/ready`);
    assert.equal(ready.status, 200);
    assert.match(await ready.text(), /Ready/);
  });

  test("the datasource consumer queries Prometheus at the URL it was given", async () => {
    const flags = await getJson<{ data: Record<string, string> }>(`${prom}/api/v1/status/flags`);
    const external = flags.data["web.external-url"] ?? "";
    const g = await m.until("grafana queried through ingress", async () => {
      const u = await m.unit("grafana/0");
      return u.workload === "active" && u.message.includes(external) && !u.message.includes("queried 0")
        ? u
        : undefined;
    });
    assert.match(g.message, /; queried [1-9]\d* series from /);
    const out = await m.cli("run-action", "grafana/0", "query", "expr=count(tester_up)", "--format", "json");
    assert.match(out, /"ok\\?":\s*true/);
  });

  test("the Grafana stand-in draws every panel of the shipped dashboard from Prometheus, in chromium", async () => {
    const shipped = JSON.parse(
      readFileSync(
        join(ROOT, "charms/prometheus-k8s/grafana_dashboards/prometheus-self-monitoring.json"),
        "utf8",
      ),
    ) as { title: string; panels: { title: string }[] };
    const site = await m.until(
      "grafana serves the dashboard Prometheus offers",
      async () => /\b1 dashboard at (http\S+\/)/.exec((await m.unit("grafana/0")).message)?.[1],
      { unit: "grafana/0" },
    );
    const model = (await m.status()).model.name;
    // The provider gives the dashboard a uid of its own (the Python library's Path40 uid): find it
    // as a user would, by its title in the stand-in's search.
    const found = await getJson<{ title: string; url: string }[]>(`${site}api/search`);
    const entry = found.find((d) => d.title === shipped.title);
    assert.ok(entry, JSON.stringify(found));
    const url = new URL(entry.url, site).href;
    await withChromium(async (browser) => {
      // Grafana's URL parameters: the last 15 minutes, which the model has data for.
      const panels = await m.until(
        "every panel drew series",
        async () => {
          const p = await panelsOf(browser, `${url}?from=now-15m&to=now`);
          const notYet = p.filter((x) => x.state !== "ok");
          if (p.length === shipped.panels.length && notYet.length === 0) return p;
          const states = notYet.map((x) => `${x.title}: ${x.state} ${x.text.slice(-200)}`);
          throw new Error(`${p.length} of ${shipped.panels.length} panels; not drawn: ${states.join("; ")}`);
        },
        { timeoutMs: 120_000, unit: "grafana/0" },
      );
      mkdirSync(dirname(SCREENSHOT), { recursive: true });
      await screenshot(browser, SCREENSHOT);
      assert.deepEqual(
        panels.map((p) => p.title),
        shipped.panels.map((p) => p.title),
      );
      for (const p of panels) {
        assert.ok(p.series.length > 0, p.title);
        for (const s of p.series) {
          const juju = Object.keys(s.labels).filter((k) => k.startsWith("juju_"));
          assert.ok(juju.length > 0, `${p.title}: ${s.name} carries no juju_* label`);
          if (s.labels.juju_model !== undefined) assert.equal(s.labels.juju_model, model, p.title);
        }
        // What the panel sent: every variable filled in, and the topology matchers of Grafana's charm.
        for (const q of p.queries) {
          assert.doesNotMatch(q, /\$/, `${p.title}: ${q}`);
          assert.match(q, /juju_model_uuid=~"/, `${p.title}: ${q}`);
        }
      }
      // Before the model existed there was nothing to draw, and every panel says so.
      const before = await panelsOf(browser, `${url}?from=now-3h&to=now-2h`);
      assert.equal(before.length, shipped.panels.length);
      for (const p of before) {
        assert.equal(p.state, "empty", p.title);
        assert.match(p.text, /No data/, p.title);
      }
    });
  });

  test("the catalogue page lists Prometheus with its ingress URL", async () => {
    const flags = await getJson<{ data: Record<string, string> }>(`${prom}/api/v1/status/flags`);
    const external = flags.data["web.external-url"] ?? "";
    const cat = fqdn("catalogue/0");
    const items = await getJson<{ name: string; url: string; api_endpoints: Record<string, string> }[]>(
      `http://${cat}/items`,
    );
    const p = items.find((i) => i.name === "Prometheus");
    assert.ok(p, JSON.stringify(items));
    assert.equal(p.url, external);
    assert.equal(p.api_endpoints["Instant queries"], `${external}/api/v1/query`);
    const html = await (await fetch(`http://${cat}/`)).text();
    assert.ok(html.includes("Prometheus") && html.includes(external));
  });

  test("scaling a target 2 -> 3 adds a scrape target without restarting Prometheus", async () => {
    pid = m.prometheusPid();
    await m.cli("scale", "targets-a", "3");
    await m.until("targets-a/2 scraped", async () => {
      const t = (await testerTargets()).find((x) => x.labels.juju_unit === "targets-a/2");
      return t?.health === "up" ? t : undefined;
    });
    assert.equal(m.prometheusPid(), pid, "same Prometheus process");
  });

  test("a broken alert rule rejects that relation alone, named in the status", async () => {
    await m.cli("config", "targets-b", "broken_alert_rule=true");
    const u = await m.until("prometheus names the rejected relation", async () => {
      const x = await m.unit("prometheus/0");
      return x.message.includes("targets-b") ? x : undefined;
    });
    assert.equal(u.workload, "blocked");
    assert.match(u.message, /metrics-endpoint:\d+ \(targets-b\)/);
    // Everything else keeps working: targets-a's rules and every target stay.
    const g = await rules();
    assert.ok(g.some((x) => x.rules.some((r) => r.query.includes('juju_application="targets-a"'))));
    assert.equal((await testerTargets()).filter((t) => t.health === "up").length, 4);
    assert.equal(m.prometheusPid(), pid, "same Prometheus process");
    await m.cli("config", "targets-b", "broken_alert_rule=false");
    await m.until("prometheus active again", async () => {
      const x = await m.unit("prometheus/0");
      return x.workload === "active" ? x : undefined;
    });
  });

  test("removing a relation removes its jobs and rules without restarting Prometheus", async () => {
    await m.cli("remove-relation", "prometheus:metrics-endpoint", "targets-b:metrics-endpoint");
    await m.until("targets-b gone from targets and rules", async () => {
      const t = await testerTargets();
      const g = await rules();
      const stillRules = g.some((x) => x.rules.some((r) => r.query.includes('juju_application="targets-b"')));
      return !t.some((x) => x.labels.juju_application === "targets-b") && !stillRules ? true : undefined;
    });
    assert.equal((await testerTargets()).length, 3);
    assert.equal(m.prometheusPid(), pid, "same Prometheus process");
  });

  test("removing an application removes its units and relations; Prometheus stays active", async () => {
    await m.cli("remove-application", "grafana");
    await m.until("grafana gone", async () => {
      const s = await m.status();
      return s.applications.some((a) => a.name === "grafana") ||
        s.units.some((u) => u.name.startsWith("grafana/"))
        ? undefined
        : s;
    });
    const p = await m.unit("prometheus/0");
    assert.equal(p.workload, "active", p.message);
  });

  test("a killed Prometheus is restarted by Pebble and keeps its TSDB", async () => {
    const before = Date.now() / 1000;
    const sampled = await query(prom, "tester_up", before);
    assert.ok(sampled.length > 0);
    const old = m.prometheusPid();
    assert.ok(old);
    process.kill(old, "SIGKILL");
    const fresh = await m.until("a new prometheus process", async () => {
      const p = m.prometheusPid();
      return p && p !== old ? p : undefined;
    });
    assert.notEqual(fresh, old);
    const again = await m.until("the pre-kill samples queried after the restart", async () => {
      const r = await query(prom, "tester_up", before);
      return r.length === sampled.length ? r : undefined;
    });
    assert.deepEqual(
      again.map((s) => s.metric.juju_unit).sort(),
      sampled.map((s) => s.metric.juju_unit).sort(),
    );
  });
});
