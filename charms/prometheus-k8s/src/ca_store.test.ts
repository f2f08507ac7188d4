import assert from "node:assert/strict";
import { test } from "node:test";
import type { ExecResult, Workload } from "./apply.js";
import { applyTrustStore, RECEIVED_CA_DIR, TLS_CA_PATH, trustStoreFiles } from "./ca_store.js";

/** A workload with an in-memory filesystem that records the commands run in it. */
class MemWorkload implements Workload {
  files = new Map<string, string>();
  execs: string[][] = [];
  exitCode = 0;
  async read(p: string) {
    return this.files.get(p);
  }
  async write(p: string, c: string) {
    this.files.set(p, c);
  }
  async remove(p: string) {
    this.files.delete(p);
  }
  async list(dir: string) {
    return [...this.files.keys()].filter(
      (p) => p.startsWith(`${dir}/`) && !p.slice(dir.length + 1).includes("/"),
    );
  }
  async exists(p: string) {
    return this.files.has(p);
  }
  async exec(argv: readonly string[]): Promise<ExecResult> {
    this.execs.push([...argv]);
    return {
      exitCode: this.exitCode,
      stdout: "",
      stderr: this.exitCode ? "cannot write /etc/ssl/certs" : "",
    };
  }
  async plannedService() {
    return undefined;
  }
  async serviceRunning() {
    return true;
  }
  async addLayer() {}
  async replan() {}
  async restart() {}
  async plannedLogTargets() {
    return {};
  }
  async addLogTargets() {}
}

const A = "-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----";
const B = "-----BEGIN CERTIFICATE-----\nB\n-----END CERTIFICATE-----";

test("the Python charm's paths: ca.crt for the certificates CA, juju_receive-ca-cert/<i>.crt for received ones", () => {
  assert.deepEqual(trustStoreFiles(A, [B, A]), {
    [TLS_CA_PATH]: `${A}\n`,
    [`${RECEIVED_CA_DIR}/0.crt`]: `${A}\n`,
    [`${RECEIVED_CA_DIR}/1.crt`]: `${B}\n`,
  });
  assert.deepEqual(trustStoreFiles(undefined, []), {});
});

test("a change writes the files and runs update-ca-certificates --fresh once; no change runs nothing", async () => {
  const w = new MemWorkload();
  w.files.set("/usr/local/share/ca-certificates/someone-elses.crt", "keep");
  assert.deepEqual(await applyTrustStore(w, trustStoreFiles(undefined, [A, B])), { changed: true });
  assert.deepEqual(w.execs, [["update-ca-certificates", "--fresh"]]);
  assert.equal(w.files.get(`${RECEIVED_CA_DIR}/1.crt`), `${B}\n`);
  assert.deepEqual(await applyTrustStore(w, trustStoreFiles(undefined, [B, A])), { changed: false });
  assert.equal(w.execs.length, 1);
  // A removed relation's CA goes, and so does the TLS CA when TLS is off; other local CAs stay.
  w.files.set(TLS_CA_PATH, "old");
  assert.deepEqual(await applyTrustStore(w, trustStoreFiles(undefined, [A])), { changed: true });
  assert.deepEqual([...w.files.keys()].sort(), [
    `${RECEIVED_CA_DIR}/0.crt`,
    "/usr/local/share/ca-certificates/someone-elses.crt",
  ]);
  assert.equal(w.execs.length, 2);
});

test("a failing update-ca-certificates is reported with its output", async () => {
  const w = new MemWorkload();
  w.exitCode = 1;
  const r = await applyTrustStore(w, trustStoreFiles(A, []));
  assert.equal(r.changed, true);
  assert.match(r.error ?? "", /update-ca-certificates --fresh exited with 1: cannot write/);
});
