#!/usr/bin/env node
// The Loki tester's workload: accepts Loki pushes in JSON (`POST /loki/api/v1/push`, the format
// Pebble's log forwarding sends) and records them; `GET /received` returns everything recorded,
// `GET /ready` answers like Loki. Usage: receiver.mjs --listen HOST:PORT [--record FILE]
import { appendFileSync } from "node:fs";
import { createServer } from "node:http";
import { listenAddress, option } from "@charmkit/tester-kit/workload";

const { host, port } = listenAddress(option("--listen", "127.0.0.1:3100"));
const record = option("--record", "");
/** Every stream received, in arrival order: {stream: labels, values: [[ns, line], ...], userAgent}. */
const received = [];
let refused = 0;

const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://x");
  if (req.method === "GET" && url.pathname === "/ready") {
    res.writeHead(200, { "content-type": "text/plain" }).end("ready\n");
    return;
  }
  if (req.method === "GET" && url.pathname === "/received") {
    res
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ streams: received, refused }));
    return;
  }
  if (req.method !== "POST" || url.pathname !== "/loki/api/v1/push") {
    res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    return;
  }
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const type = req.headers["content-type"] ?? "";
    if (!type.startsWith("application/json")) {
      // Loki also takes snappy-compressed protobuf (promtail's default); Pebble sends JSON.
      refused += 1;
      res.writeHead(415, { "content-type": "text/plain" }).end("only application/json is recorded\n");
      return;
    }
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch (e) {
      refused += 1;
      res.writeHead(400, { "content-type": "text/plain" }).end(`bad JSON: ${e.message}\n`);
      return;
    }
    for (const s of body.streams ?? []) {
      const entry = {
        stream: s.stream ?? {},
        values: s.values ?? [],
        userAgent: req.headers["user-agent"] ?? "",
      };
      received.push(entry);
      if (record) appendFileSync(record, `${JSON.stringify(entry)}\n`);
    }
    res.writeHead(204).end();
  });
});
server.listen(port, host, () => console.log(`loki tester listening on ${host}:${port}`));
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => server.close(() => process.exit(0)));
