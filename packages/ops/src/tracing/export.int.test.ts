import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { postTraces } from "./export.js";

let server: Server;
let base = "";
const received: { path: string; type: string | undefined; body: string }[] = [];
let status = 200;

before(async () => {
  server = createServer((req: IncomingMessage, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString();
    });
    req.on("end", () => {
      if (req.url === "/hang") return; // never answers
      received.push({ path: req.url ?? "", type: req.headers["content-type"], body });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

test("a POST of OTLP/JSON to the receiver: 2xx is sent, anything else is not", async () => {
  assert.equal(await postTraces({ url: `${base}/v1/traces` }, '{"resourceSpans":[]}'), true);
  assert.deepEqual(received.at(-1), {
    path: "/v1/traces",
    type: "application/json",
    body: '{"resourceSpans":[]}',
  });
  status = 503;
  assert.equal(await postTraces({ url: `${base}/v1/traces` }, "{}"), false);
  status = 200;
});

test("unreachable, hanging or non-http destinations fail quietly", async () => {
  assert.equal(await postTraces({ url: "http://127.0.0.1:1/v1/traces" }, "{}"), false);
  assert.equal(await postTraces({ url: `${base}/hang` }, "{}", 200), false);
  assert.equal(await postTraces({ url: "ftp://x/v1/traces" }, "{}"), false);
  assert.equal(await postTraces({ url: "not a url" }, "{}"), false);
});
