/**
 * A workload container's trust store is its own: `update-ca-certificates` run in the container
 * (as the Python prometheus charm runs it after installing received CAs) rebuilds the container's
 * /etc/ssl and leaves the host's untouched. Real openssl, update-ca-certificates, Pebble server and
 * mount namespace.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { startHarness } from "./pebble/test-helpers.js";
import { HOST_SSL_DIR, seedTrustStore } from "./trust-store.js";

const tmp = mkdtempSync(join(tmpdir(), "ck-trust-store-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

const sha = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");

test("seedTrustStore copies modes and symlinks as they are, once", () => {
  const host = join(tmp, "host-ssl");
  mkdirSync(join(host, "certs"), { recursive: true });
  mkdirSync(join(host, "private"));
  chmodSync(join(host, "private"), 0o710);
  writeFileSync(join(host, "certs", "ca-certificates.crt"), "bundle\n");
  symlinkSync("/usr/share/ca-certificates/mozilla/X.crt", join(host, "certs", "X.pem"));
  const root = join(tmp, "root");
  assert.equal(seedTrustStore(root, host), true);
  assert.equal(readFileSync(join(root, "etc/ssl/certs/ca-certificates.crt"), "utf8"), "bundle\n");
  assert.ok(lstatSync(join(root, "etc/ssl/certs/X.pem")).isSymbolicLink());
  assert.equal(readlinkSync(join(root, "etc/ssl/certs/X.pem")), "/usr/share/ca-certificates/mozilla/X.crt");
  assert.equal(statSync(join(root, "etc/ssl/private")).mode & 0o777, 0o710);
  // The container's own changes survive a restart of the runtime.
  writeFileSync(join(root, "etc/ssl/certs/ca-certificates.crt"), "changed in the container\n");
  assert.equal(seedTrustStore(root, host), false);
  assert.equal(
    readFileSync(join(root, "etc/ssl/certs/ca-certificates.crt"), "utf8"),
    "changed in the container\n",
  );
});

test("update-ca-certificates in a workload container changes its own store, not the host's", async () => {
  const hostBundle = join(HOST_SSL_DIR, "certs", "ca-certificates.crt");
  const before = sha(hostBundle);
  const h = await startHarness();
  try {
    seedTrustStore(h.rootDir);
    // Refuse to go on if the container would see the host's store: this test must never be the
    // one that rewrites it.
    writeFileSync(join(h.rootDir, "etc/ssl/container-copy"), "");
    const seen = await h.client.exec(["test", "-e", "/etc/ssl/container-copy"]).then(
      () => true,
      () => false,
    );
    assert.ok(seen, "the container does not see its own /etc/ssl; not running update-ca-certificates");

    const key = join(tmp, "ca.key");
    const crt = join(tmp, "ca.crt");
    execFileSync("openssl", [
      ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"],
      ...["-subj", "/CN=charmkit trust-store test CA", "-keyout", key, "-out", crt],
    ]);
    const pem = readFileSync(crt, "utf8");
    await h.client.push("/usr/local/share/ca-certificates/juju_receive-ca-cert/0.crt", pem, {
      makeDirs: true,
    });
    const r = await h.client.exec(["update-ca-certificates", "--fresh"]);
    assert.match(r.stdout, /Updating certificates in \/etc\/ssl\/certs/);

    const body = pem.trim().split("\n").slice(1, -1).join("\n");
    assert.ok(readFileSync(join(h.rootDir, "etc/ssl/certs/ca-certificates.crt"), "utf8").includes(body));
    assert.equal(sha(hostBundle), before, "the host's CA bundle changed");
    assert.ok(!readFileSync(hostBundle, "utf8").includes(body));
  } finally {
    await h.close();
  }
});
