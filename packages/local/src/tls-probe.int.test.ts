/**
 * schemeOf tells an https port from a plain one: a real TLS server (key and certificate made by
 * openssl) answers the handshake, an HTTP server and a closed port do not.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttp } from "node:http";
import { createServer as createHttps } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { schemeOf } from "./tls-probe.js";

const tmp = mkdtempSync(join(tmpdir(), "ck-tls-probe-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

function listen(server: import("node:net").Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
  );
}

test("https, http and a closed port", async () => {
  const key = join(tmp, "key.pem");
  const cert = join(tmp, "cert.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      "/CN=probe",
      "-days",
      "1",
      "-keyout",
      key,
      "-out",
      cert,
    ],
    { stdio: "ignore" },
  );
  const https = createHttps({ key: readFileSync(key), cert: readFileSync(cert) }, (_q, r) => r.end("ok"));
  const http = createHttp((_q, r) => r.end("ok"));
  const [tlsPort, plainPort] = [await listen(https), await listen(http)];
  after(() => {
    https.close();
    http.close();
  });
  const closed = createHttp();
  const closedPort = await listen(closed);
  await new Promise((r) => closed.close(r));
  assert.equal(await schemeOf("127.0.0.1", tlsPort), "https");
  assert.equal(await schemeOf("127.0.0.1", plainPort), "http");
  assert.equal(await schemeOf("127.0.0.1", closedPort), "http");
});
