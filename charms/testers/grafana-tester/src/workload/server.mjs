#!/usr/bin/env node
// The Grafana stand-in's workload: serves the dashboards the charm provisioned (JSON files it
// pushes, already templated as Grafana's charm does) as pages drawn in the browser by
// web/dashboard.js, and the parts of Grafana's HTTP API those pages use: /api/search,
// /api/dashboards/uid/<uid>, /api/datasources, and the datasource proxy
// /api/datasources/proxy/uid/<uid>/<path>, which forwards to the datasource's URL so the browser
// never talks to Prometheus itself (as in Grafana's server access mode).
// Usage: server.mjs --listen [HOST]:PORT --data DIR --web DIR (no HOST: every interface).
// DIR/datasources.json lists the datasources; DIR/dashboards/<uid>.json holds one dashboard each.
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { basename, join } from "node:path";
import { escapeHtml, listenAddress, option, readJson } from "@charmkit/tester-kit/workload";

const { host, port } = listenAddress(option("--listen", ":3000"));
const dataDir = option("--data", "/var/lib/grafana-tester");
const webDir = option("--web", "/srv/grafana-tester/web");

/** Every provisioned dashboard file: {uid, title, relationId, id, charm, dashboard} or {..., error}. */
function dashboards() {
  let files = [];
  try {
    files = readdirSync(join(dataDir, "dashboards")).filter((f) => f.endsWith(".json"));
  } catch {
    return [];
  }
  return files
    .sort()
    .map((f) => readJson(join(dataDir, "dashboards", f), null))
    .filter((d) => d !== null);
}

function datasources() {
  const list = readJson(join(dataDir, "datasources.json"), []);
  return Array.isArray(list) ? list : [];
}

function send(res, status, type, body) {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
  res.end(body);
}

const json = (res, status, value) => send(res, status, "application/json", `${JSON.stringify(value)}\n`);

/** An HTML page; `state` is the body's data-state, which the dashboard script turns to `ready`. */
function page(title, body, { scripts = "", state = "ready" } = {}) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><link rel="stylesheet" href="/public/dashboard.css"></head><body data-state="${state}">${body}${scripts}</body></html>\n`;
}

function index(res) {
  const all = dashboards();
  const rows = all
    .map((d) =>
      d.error
        ? `<li class="error">${escapeHtml(d.title || d.id)} (relation ${escapeHtml(d.relationId)}): ${escapeHtml(d.error)}</li>`
        : `<li><a href="/d/${encodeURIComponent(d.uid)}">${escapeHtml(d.title)}</a> <small>from ${escapeHtml(d.charm)} (relation ${escapeHtml(d.relationId)})</small></li>`,
    )
    .join("\n");
  const sources = datasources()
    .map((s) => `<li>${escapeHtml(s.name)} <small>${escapeHtml(s.type)} at ${escapeHtml(s.url)}</small></li>`)
    .join("\n");
  const body = `<div id="dashboard"><header><h1>Dashboards</h1></header><ul>\n${rows || "<li>No dashboards yet: relate an application's grafana-dashboard endpoint.</li>"}\n</ul><h2>Datasources</h2><ul>\n${sources || "<li>None yet.</li>"}\n</ul></div>`;
  send(res, 200, "text/html; charset=utf-8", page("Dashboards", body));
}

async function proxy(req, res, uid, rest, search) {
  const ds = datasources().find((d) => d.uid === uid);
  if (!ds) return json(res, 404, { message: `datasource ${uid} not found` });
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const target = `${String(ds.url).replace(/\/+$/, "")}/${rest}${search}`;
  try {
    const headers = {};
    if (req.headers["content-type"]) headers["content-type"] = req.headers["content-type"];
    const upstream = await fetch(target, {
      method: req.method,
      headers,
      body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
      signal: AbortSignal.timeout(30_000),
    });
    send(
      res,
      upstream.status,
      upstream.headers.get("content-type") ?? "text/plain",
      Buffer.from(await upstream.arrayBuffer()),
    );
  } catch (e) {
    json(res, 502, {
      message: `datasource ${uid} at ${ds.url}: ${e instanceof Error ? e.message : String(e)}`,
    });
  }
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://stand-in");
  const path = url.pathname;
  if (path === "/" || path === "/dashboards") return index(res);
  if (path === "/favicon.ico") return send(res, 204, "image/x-icon", "");
  if (path === "/api/health") return json(res, 200, { database: "ok", version: "charmkit-grafana-stand-in" });
  if (path === "/api/search")
    return json(
      res,
      200,
      dashboards()
        .filter((d) => !d.error)
        .map((d) => ({
          uid: d.uid,
          title: d.title,
          url: `/d/${d.uid}`,
          type: "dash-db",
          tags: d.dashboard.tags ?? [],
        })),
    );
  if (path === "/api/datasources")
    return json(
      res,
      200,
      datasources().map(({ uid, name, type, url: dsUrl, jsonData }) => ({
        uid,
        name,
        type,
        url: dsUrl,
        jsonData,
      })),
    );
  const ds = /^\/api\/datasources\/proxy\/uid\/([^/]+)\/(.*)$/.exec(path);
  if (ds) return void proxy(req, res, decodeURIComponent(ds[1]), ds[2], url.search);
  const api = /^\/api\/dashboards\/uid\/([^/]+)$/.exec(path);
  if (api) {
    const d = dashboards().find((x) => x.uid === decodeURIComponent(api[1]) && !x.error);
    if (!d) return json(res, 404, { message: "Dashboard not found" });
    return json(res, 200, { dashboard: d.dashboard, meta: { url: `/d/${d.uid}`, provisioned: true } });
  }
  const view = /^\/d\/([^/]+)(?:\/.*)?$/.exec(path);
  if (view) {
    const d = dashboards().find((x) => x.uid === decodeURIComponent(view[1]) && !x.error);
    if (!d)
      return send(
        res,
        404,
        "text/html; charset=utf-8",
        page("Not found", '<p id="dashboard">Dashboard not found.</p>', { state: "error" }),
      );
    return send(
      res,
      200,
      "text/html; charset=utf-8",
      page(d.title, `<div id="dashboard" data-uid="${escapeHtml(d.uid)}"></div>`, {
        scripts: '<script src="/public/dashboard.js"></script>',
        state: "loading",
      }),
    );
  }
  const pub = /^\/public\/([\w.-]+)$/.exec(path);
  if (pub) {
    const name = basename(pub[1]);
    try {
      const body = readFileSync(join(webDir, name));
      const type = name.endsWith(".css") ? "text/css" : "text/javascript";
      return send(res, 200, `${type}; charset=utf-8`, body);
    } catch {
      return send(res, 404, "text/plain", "not found\n");
    }
  }
  send(res, 404, "text/plain", "not found\n");
});
const onListening = () =>
  console.log(
    `grafana stand-in listening on ${host || "*"}:${port}, data from ${dataDir}, page from ${webDir}`,
  );
if (host) server.listen(port, host, onListening);
else server.listen(port, onListening);
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => server.close(() => process.exit(0)));
