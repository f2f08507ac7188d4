#!/usr/bin/env node
// The https target tester's workload: Prometheus text metrics over https.
// Usage: server.mjs --listen HOST:PORT --cert FILE --key FILE
import { readFileSync } from "node:fs";
import { createServer } from "node:https";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const listen = opt("--listen", "127.0.0.1:8443");
const sep = listen.lastIndexOf(":");
const host = listen.slice(0, sep).replace(/^\[|\]$/g, "");
const port = Number(listen.slice(sep + 1));
let scrapes = 0;
const server = createServer(
  { cert: readFileSync(opt("--cert", "")), key: readFileSync(opt("--key", "")) },
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
