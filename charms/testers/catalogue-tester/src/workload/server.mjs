#!/usr/bin/env node
// The catalogue tester's workload: serves an HTML page listing the catalogue items the charm received
// over the `catalogue` relation (a JSON file the charm pushes), and the same list as JSON at /items.
// Usage: server.mjs --listen [HOST]:PORT --items FILE (no HOST: every interface).
import { createServer } from "node:http";
import { escapeHtml, listenAddress, option, readJson } from "@charmkit/tester-kit/workload";

const { host, port } = listenAddress(option("--listen", "127.0.0.1:8080"));
const itemsFile = option("--items", "/srv/catalogue/items.json");

function readItems() {
  const items = readJson(itemsFile, []);
  return Array.isArray(items) ? items : [];
}

const server = createServer((req, res) => {
  const items = readItems();
  if (req.url === "/items") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(items));
    return;
  }
  const rows = items
    .map(
      (i) =>
        `<li><a href="${escapeHtml(i.url)}">${escapeHtml(i.name)}</a> <small>(${escapeHtml(i.icon ?? "")})</small><p>${escapeHtml(i.description ?? "")}</p></li>`,
    )
    .join("\n");
  res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
  res.end(
    `<!doctype html><html><head><title>Catalogue</title></head><body><h1>Catalogue</h1><ul>\n${rows || "<li>No items yet.</li>"}\n</ul></body></html>\n`,
  );
});
const onListening = () =>
  console.log(`catalogue listening on ${host || "*"}:${port}, items from ${itemsFile}`);
if (host) server.listen(port, host, onListening);
else server.listen(port, onListening);
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => server.close(() => process.exit(0)));
