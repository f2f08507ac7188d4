/**
 * Runs the prometheus-k8s charm in this worker thread with the state-transition harness
 * (`@charmkit/ops/testing`), so that a case that hangs or exhausts the heap can be stopped and
 * counted without taking the test process down. For each request: a reference run (pebble-ready
 * with the good relation alone, cached per model/config), then the hostile relations join and
 * `metrics-endpoint-relation-changed` runs for the first of them, as when their data arrives.
 */
import { parentPort } from "node:worker_threads";
import {
  Context,
  container,
  getContainer,
  relation,
  type State,
  state,
  storage,
  withState,
} from "@charmkit/ops/testing";
import PrometheusCharm from "@charmkit/prometheus-k8s/charm";
import type { CaseRelation, CaseState } from "./corpus.js";
import type { HarnessReply, HarnessRequest } from "./entrypoints.js";

const CHARM_DIR = new URL("../../charms/prometheus-k8s", import.meta.url).pathname;
/** What `/bin/prometheus --version` prints for the Debian 2.42 the checks run promtool from. */
const VERSION = "prometheus, version 2.42.0+ds (branch: debian/sid, revision: 2.42.0+ds-5+deb12u1)\n";
const ctx = new Context(PrometheusCharm, { charmDir: CHARM_DIR });

const realFetch = globalThis.fetch;
globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (url.port !== "9090") return realFetch(input, init);
  if (url.pathname.endsWith("/-/reload")) return new Response("", { status: 200 });
  if (url.pathname.endsWith("/metrics")) {
    const now = Date.now() / 1000;
    const body = `# TYPE prometheus_config_last_reload_successful gauge\nprometheus_config_last_reload_successful 1\n# TYPE prometheus_config_last_reload_success_timestamp_seconds gauge\nprometheus_config_last_reload_success_timestamp_seconds ${now}\n`;
    return new Response(body, { status: 200, headers: { "content-type": "text/plain; version=0.0.4" } });
  }
  return new Response("not found", { status: 404 });
}) as typeof fetch;
const baselines = new Map<string, State>();

function toRelation(r: CaseRelation) {
  const remoteUnitsData: Record<string, Record<string, string>> = {};
  for (const [name, bag] of Object.entries(r.units))
    remoteUnitsData[name.slice(name.lastIndexOf("/") + 1)] = bag;
  return relation({
    id: r.id,
    endpoint: "metrics-endpoint",
    remoteAppName: r.remote_app,
    remoteAppData: r.app_data,
    remoteUnitsData,
    remoteModelUuid: r.remote_model_uuid,
  });
}

function files(s: State): Record<string, string> {
  return { ...(getContainer(s, "prometheus")?.filesystem ?? {}) };
}

async function baseline(s: CaseState, storageDir: string): Promise<State> {
  const good = s.relations[0] as CaseRelation;
  const key = JSON.stringify([s.model, s.config ?? {}, s.leader ?? true, good]);
  const cached = baselines.get(key);
  if (cached) return cached;
  const input = state({
    leader: s.leader ?? true,
    model: { ...s.model, type: "kubernetes" },
    config: s.config ?? {},
    relations: [toRelation(good)],
    containers: [
      container({
        name: "prometheus",
        canConnect: true,
        execs: [{ command: ["/bin/prometheus", "--version"], stdout: VERSION, exitCode: 0, stderr: "" }],
      }),
    ],
    storages: [storage({ name: "database", location: storageDir })],
  });
  const ready = await ctx.run(ctx.on.pebbleReady(input.containers[0] as State["containers"][number]), input);
  // pebble-ready is where the charm learns the workload's version; the next hook is the steady state.
  const out = await ctx.run(ctx.on.configChanged(), ready);
  baselines.set(key, out);
  return out;
}

async function handle(req: HarnessRequest): Promise<HarnessReply> {
  let phase: "baseline" | "case" = "baseline";
  try {
    const base = await baseline(req.state, req.storageDir);
    phase = "case";
    const hostile = req.state.relations.slice(1).map(toRelation);
    const input = withState(base, { relations: [...base.relations, ...hostile] });
    const first = input.relations.find((r) => r.id === hostile[0]?.id);
    if (first?.kind !== "regular") throw new Error("case has no hostile relation");
    const timed = async () => {
      const t0 = performance.now();
      const o = await ctx.run(ctx.on.relationChanged(first), input);
      return { o, ms: performance.now() - t0 };
    };
    let { o: out, ms: best } = await timed();
    // A second try when the first is a little slow, so that a busy machine is not mistaken for a
    // slow hook (a hook several times over budget is slow whatever the machine does).
    if (best > req.timeBudgetMs && best < 3 * req.timeBudgetMs) {
      const again = await timed();
      out = again.o;
      best = Math.min(best, again.ms);
    }
    const result = out;
    return {
      ok: true,
      ms: best,
      heapMb: process.memoryUsage().heapUsed / 2 ** 20,
      baseline: { status: base.unitStatus, files: files(base) },
      result: { status: result.unitStatus, files: files(result) },
    };
  } catch (e) {
    const err = e as Error & { cause?: Error };
    const text = `${err.name}: ${err.message}${err.cause?.stack ? `\n${err.cause.stack}` : ""}`;
    return { ok: false, phase, error: text.slice(0, 3000) };
  }
}

parentPort?.on("message", (req: HarnessRequest) => {
  void handle(req).then((reply) => parentPort?.postMessage(reply));
});
