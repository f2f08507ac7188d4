#!/usr/bin/env node
// The https target tester's workload: Prometheus text metrics over https.
// Usage: server.mjs --listen HOST:PORT --cert FILE --key FILE
import { readFileSync } from "node:fs";
import { createServer } from "node:https";
import { listenAddress, option } from "@charmkit/tester-kit/workload";

const { host, port } = listenAddress(option("--listen", "127.0.0.1:8443"));
let scrapes = 0;
const server = createServer(
  { cert: readFileSync(option("--cert", "")), key: readFileSync(option("--key", "")) },
  (req, res) => {
    if (new URL(req.url ?? "/", "https://x").pathname !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    scrapes += 1;
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
    res.end(
      [
        "# HELP tester_https_up Always 1 while the https tester serves metrics.",
        "# TYPE tester_https_up gauge",
        "tester_https_up 1",
        "# HELP tester_https_scrapes_total Scrapes served since start.",
        "# TYPE tester_https_scrapes_total counter",
        `tester_https_scrapes_total ${scrapes}`,
        "",
      ].join("\n"),
    );
  },
);
server.listen(port, host, () => console.log(`https tester listening on ${host}:${port}`));
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => server.close(() => process.exit(0)));
