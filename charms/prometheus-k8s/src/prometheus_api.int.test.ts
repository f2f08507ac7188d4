// PrometheusHttp against an HTTP server on a loopback port that answers as Prometheus does:
// /-/reload's status and body, the reload gauge on /metrics, a hang and a refused connection.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
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
