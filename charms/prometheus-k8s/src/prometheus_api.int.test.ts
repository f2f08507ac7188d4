// PrometheusHttp against an HTTP server on a loopback port that answers as Prometheus does:
// /-/reload's status and body, the reload gauge on /metrics, a hang and a refused connection; and an
// https server whose certificate a private CA signed (our X.509 tools, in process).
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { generatePrivateKeyPem } from "@charmkit/interfaces/tls-certificates";
import { PrometheusHttp } from "./prometheus_api.js";

describe("PrometheusHttp.reload", () => {
  let server: Server;
  let base = "";
  let mode: "ok" | "fail" | "hang" = "ok";
  let gauge = "1";
  before(async () => {
    server = createServer((req, res) => {
      if (req.method === "GET" && req.url === "/metrics") {
        res.end(
          `# TYPE prometheus_config_last_reload_successful gauge\nprometheus_config_last_reload_successful ${gauge}\n`,
        );
        return;
      }
      assert.equal(req.method, "POST");
      assert.equal(req.url, "/-/reload");
      if (mode === "ok") res.end();
      else if (mode === "fail") {
        res.statusCode = 500;
        res.end("failed to reload config: bad rule");
      } // "hang": never answer
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it("is ok on 200, failed with the body on 500, timeout when no answer", async () => {
    const api = new PrometheusHttp(base);
    mode = "ok";
    assert.deepEqual(await api.reload(2000), { kind: "ok" });
    mode = "fail";
    assert.deepEqual(await api.reload(2000), {
      kind: "failed",
      detail: "HTTP 500: failed to reload config: bad rule",
    });
    mode = "hang";
    assert.deepEqual(await api.reload(100), { kind: "timeout" });
  });

  it("confirms a 200 with prometheus_config_last_reload_successful", async () => {
    const api = new PrometheusHttp(base);
    mode = "ok";
    gauge = "0";
    assert.deepEqual(await api.reload(2000), {
      kind: "failed",
      detail: "prometheus_config_last_reload_successful is 0",
    });
    gauge = "1";
    assert.deepEqual(await api.reload(2000), { kind: "ok" });
  });

  it("treats a refused connection (Prometheus still starting) as a wait", async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    const port = (s.address() as AddressInfo).port;
    await new Promise((r) => s.close(r));
    assert.deepEqual(await new PrometheusHttp(`http://127.0.0.1:${port}`).reload(1000), { kind: "timeout" });
  });
});

describe("PrometheusHttp.reload over https", () => {
  it("trusts the given CA only: reload and confirmation succeed with it, fail without it", async () => {
    const x509 = await import("@charmkit/interfaces/tls-certificates/x509");
    const caKey = generatePrivateKeyPem();
    const caCert = await x509.generateCaCertificate({
      commonName: "test-ca",
      keyPem: caKey,
      validityMs: 3_600_000,
    });
    const key = generatePrivateKeyPem();
    const csr = await x509.generateCsr(
      { commonName: "prometheus", sansDns: [], sansIp: ["127.0.0.1"], isCa: false, uniqueId: false },
      key,
    );
    const cert = await x509.signCsr({
      csrPem: csr,
      ca: { certificate: caCert, privateKey: caKey },
      validityMs: 3_600_000,
    });
    const seen: string[] = [];
    const server = createHttpsServer({ key, cert }, (req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.end(req.url === "/metrics" ? "prometheus_config_last_reload_successful 0\n" : "");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    after(() => {
      server.closeAllConnections();
      server.close();
    });
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // The gauge says 0: only a client that got through the handshake twice can know it.
    assert.deepEqual(await new PrometheusHttp(url, caCert).reload(5000), {
      kind: "failed",
      detail: "prometheus_config_last_reload_successful is 0",
    });
    assert.deepEqual(seen, ["POST /-/reload", "GET /metrics"]);
    const untrusted = await new PrometheusHttp(url).reload(5000);
    assert.equal(untrusted.kind, "failed");
    assert.deepEqual(seen, ["POST /-/reload", "GET /metrics"]);
  });
});
