/**
 * Checks what the consumer renders from every shared consumer fixture with the real Prometheus
 * tools: `promtool check config` on `{global, scrape_configs}` and `promtool check rules` on each
 * rule file. Debian ships Prometheus 2.42 here, so jobs are rendered without
 * `fallback_scrape_protocol` (a Prometheus 3 key 2.42 would refuse).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, test } from "node:test";
import { stringify } from "yaml";
import { consume } from "./consumer.js";
import type { RelationSnapshot } from "@charmkit/ops";

const PROMTOOL = "/usr/bin/promtool";
const DIR = resolve(import.meta.dirname, "../../../../testdata/fixtures/consumer");
const skip = existsSync(PROMTOOL) ? false : `${PROMTOOL} is not installed (Debian package 'prometheus')`;
const work = mkdtempSync(join(tmpdir(), "consumer-promtool-"));
after(() => rmSync(work, { recursive: true, force: true }));

interface FixtureRelation {
  id: number;
  remote_app: string;
  app_data: Record<string, string>;
  units: Record<string, Record<string, string>>;
}

function snapshots(fx: { relations: FixtureRelation[] }): RelationSnapshot[] {
  return fx.relations.map((r) => ({
    id: r.id,
    endpoint: "metrics-endpoint",
    remoteApp: r.remote_app,
    remoteAppData: r.app_data,
    remoteUnitsData: r.units,
  }));
}

function promtool(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync(PROMTOOL, args, { encoding: "utf8" });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const files = readdirSync(DIR)
  .filter((f) => f.endsWith(".json") && !f.endsWith(".expected.json"))
  .sort();

describe("consumer output accepted by promtool", { skip }, () => {
  for (const f of files) {
    test(f, () => {
      const fx = JSON.parse(readFileSync(join(DIR, f), "utf8"));
      // Read as Python reads every relation (all trusted): the widest output the consumer makes.
      const res = consume(snapshots(fx), {
        model: fx.model,
        trustedAggregators: fx.relations.map((r: { remote_app: string }) => r.remote_app),
      });
      const stem = join(work, f.replace(/\.json$/, ""));
      const config = {
        global: { scrape_interval: "1m", scrape_timeout: "10s" },
        scrape_configs: res.jobs,
      };
      writeFileSync(`${stem}.yml`, stringify(config));
      const cfg = promtool("check", "config", `${stem}.yml`);
      assert.equal(cfg.status, 0, cfg.out);
      for (const rf of res.ruleFiles) {
        const path = `${stem}.${rf.name}.rules`;
        writeFileSync(path, stringify({ groups: rf.groups }));
        const rules = promtool("check", "rules", path);
        assert.equal(rules.status, 0, rules.out);
      }
    });
  }

  test("a job using every allowed key, accepted by our validation, is accepted by promtool", () => {
    const pem = readFileSync("/etc/ssl/certs/ca-certificates.crt", "utf8").split(
      "-----END CERTIFICATE-----",
    )[0];
    const job = {
      job_name: "full",
      metrics_path: "/m",
      static_configs: [{ targets: ["*:1", "[::1]:2", "other:3"], labels: { team: "x" } }],
      scrape_interval: "30s",
      scrape_timeout: "10s",
      proxy_url: "http://proxy:3128",
      relabel_configs: [
        { source_labels: ["__address__"], target_label: "host", regex: "(?P<h>[^:]+):.*", replacement: "$1" },
      ],
      metric_relabel_configs: [{ action: "drop", source_labels: ["__name__"], regex: "(?i)go_.*" }],
      sample_limit: 1000,
      label_limit: 0,
      scheme: "https",
      tls_config: {
        ca_file: `${pem}-----END CERTIFICATE-----\n`,
        server_name: "x",
        insecure_skip_verify: false,
      },
      authorization: { type: "Bearer", credentials: "t" },
      params: { module: ["a"] },
    };
    const meta = { model: "m", model_uuid: "a1b2c3d4-1111-4222-8333-444455556666", application: "a" };
    const res = consume(
      [
        {
          id: 1,
          endpoint: "metrics-endpoint",
          remoteApp: "a",
          remoteAppData: { scrape_jobs: JSON.stringify([job]), scrape_metadata: JSON.stringify(meta) },
          remoteUnitsData: { "a/0": { prometheus_scrape_unit_address: "10.0.0.1" } },
        },
      ],
      { model: { name: "m", uuid: meta.model_uuid } },
    );
    assert.deepEqual(res.rejected, []);
    assert.equal(res.jobs.length, 2);
    // The charm writes PEM contents to files and points tls_config at them (the Python charm's
    // `_process_tls_config`).
    const caPath = join(work, "ca.crt");
    writeFileSync(caPath, String((job.tls_config as { ca_file: string }).ca_file));
    const jobsOnDisk = res.jobs.map((j) => ({
      ...j,
      honor_labels: true,
      tls_config: { ...(j.tls_config as object), ca_file: caPath },
    }));
    writeFileSync(join(work, "full.yml"), stringify({ scrape_configs: jobsOnDisk }));
    const r = promtool("check", "config", join(work, "full.yml"));
    assert.equal(r.status, 0, r.out);
  });

  test("promtool agrees with a rejection: the Python output of fixture 09 (raw bogus key) is refused", () => {
    const exp = JSON.parse(readFileSync(join(DIR, "09_missing_scrape_metadata.expected.json"), "utf8"));
    writeFileSync(join(work, "python09.yml"), stringify({ scrape_configs: exp.scrape_configs }));
    assert.notEqual(promtool("check", "config", join(work, "python09.yml")).status, 0);
  });
});
