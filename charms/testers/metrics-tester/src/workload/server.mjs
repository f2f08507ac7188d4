#!/usr/bin/env node
// The metrics tester's workload: a tiny HTTP server exposing Prometheus text-format metrics, so the
// local model has a real scrape target. Usage: server.mjs --listen [HOST]:PORT [--path /metrics]
// (no HOST: every interface, as a Kubernetes workload listens).
import { createServer } from "node:http";
import { listenAddress, option } from "@charmkit/tester-kit/workload";

const { host, port } = listenAddress(option("--listen", "127.0.0.1:8000"));
const path = option("--path", "/metrics");
const started = Date.now() / 1000;
let scrapes = 0;

const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://x");
  if (url.pathname !== path) {
    res.writeHead(url.pathname === "/" ? 200 : 404, { "content-type": "text/plain" });
    res.end(url.pathname === "/" ? `metrics tester: see ${path}\n` : "not found\n");
    return;
  }
  scrapes += 1;
  const body = [
    "# HELP tester_up Always 1 while the tester serves metrics.",
    "# TYPE tester_up gauge",
    "tester_up 1",
    "# HELP tester_scrapes_total Scrapes served since start.",
    "# TYPE tester_scrapes_total counter",
    `tester_scrapes_total ${scrapes}`,
    "# HELP tester_start_time_seconds Start time of the tester process.",
    "# TYPE tester_start_time_seconds gauge",
    `tester_start_time_seconds ${started}`,
    "",
  ].join("\n");
  res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
  res.end(body);
});
const onListening = () => console.log(`metrics tester listening on ${host || "*"}:${port}${path}`);
if (host) server.listen(port, host, onListening);
else server.listen(port, onListening);
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => server.close(() => process.exit(0)));
