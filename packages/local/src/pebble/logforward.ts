/**
 * Pebble's log forwarding (`log-targets`), for `loki` targets, as Pebble's own daemon does it
 * (internals/overlord/logstate: manager.go, gatherer.go, loki/loki.go):
 *
 * - a target receives the output lines of every service its `services` list selects, read
 *   backwards: a service's name or `all` selects, `-<name>` or `-all` deselects (plan.go `LogsTo`);
 * - only lines written after a service starts logging to the target are sent (the puller starts at
 *   the tail of the service's ring buffer);
 * - each line is one entry `[<unix ns>, <line without trailing newline>]`; entries are grouped by
 *   service into streams labelled with the target's `labels` (`$VAR`/`${VAR}` expanded from the
 *   service's environment) plus `pebble_service`, sorted by service name;
 * - a flush happens 1 s after the first buffered line, or at once at 100 lines; the client keeps at
 *   most 100 entries, dropping the oldest; the POST (`Content-Type: application/json; charset=utf-8`,
 *   `User-Agent: pebble/<version>`, 10 s timeout) is kept for a retry on 429 and 5xx and dropped on
 *   other 4xx, and a final flush runs when the target goes away.
 *
 * `opentelemetry` and `syslog` targets are accepted in the plan but not forwarded here (logged once).
 */
import type { Plan } from "@charmkit/ops/pebble";

/** Pebble's buffer bounds and timings (gatherer.go, loki.go). */
export const MAX_REQUEST_ENTRIES = 100;
export const BUFFER_TIMEOUT_MS = 1000;
export const REQUEST_TIMEOUT_MS = 10_000;

/** One Loki stream of a push request. */
export interface LokiStream {
  readonly stream: Readonly<Record<string, string>>;
  readonly values: readonly (readonly [string, string])[];
}

/** `LogsTo` (plan.go): whether `service` logs to a target selecting `services`. */
export function logsTo(service: string, services: readonly string[]): boolean {
  for (let i = services.length - 1; i >= 0; i--) {
    const s = services[i];
    if (s === service || s === "all") return true;
    if (s === `-${service}` || s === "-all") return false;
  }
  return false;
}

/**
 * Go's `os.Expand` with a map, as Pebble expands label values: `$VAR` and `${VAR}` become the
 * service's environment value ("" when unset); other text is kept as written.
 */
export function expandEnv(text: string, env: Readonly<Record<string, string>>): string {
  return text.replace(
    /\$(?:\{([^}]*)\}|([A-Za-z0-9_]+))/g,
    (_m, braced: string | undefined, bare: string | undefined) => {
      return env[braced ?? bare ?? ""] ?? "";
    },
  );
}

/** Sends one request body; resolves the HTTP status (0 for a network failure). */
export type LokiPoster = (url: string, body: string, userAgent: string) => Promise<number>;

/** The default poster: Node's fetch with Pebble's 10 s timeout. */
export const postLoki: LokiPoster = async (url, body, userAgent) => {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8", "user-agent": userAgent },
      body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    await res.arrayBuffer().catch(() => undefined);
    return res.status;
  } catch {
    return 0;
  }
};

interface Entry {
  readonly service: string;
  readonly value: readonly [string, string];
}

/** One Loki target: its buffer, labels per service, and flushing (loki.go `Client` + the gatherer loop). */
class LokiTarget {
  private entries: Entry[] = [];
  private readonly labels = new Map<string, Record<string, string>>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private sinceFlush = 0;

  constructor(
    readonly name: string,
    public location: string,
    private readonly opts: ForwarderDeps,
  ) {}

  /** Sets a service's labels (flushing first so buffered lines keep their old labels), or drops it. */
  setLabels(service: string, labels: Readonly<Record<string, string>> | undefined): void {
    const next = labels ? { ...labels, pebble_service: service } : undefined;
    const prev = this.labels.get(service);
    if (JSON.stringify(prev) === JSON.stringify(next)) return;
    if (this.entries.length > 0) void this.flush();
    if (next) this.labels.set(service, next);
    else this.labels.delete(service);
  }

  logs(service: string): boolean {
    return this.labels.has(service);
  }

  add(service: string, line: string, time: Date): void {
    if (this.entries.length >= MAX_REQUEST_ENTRIES) this.entries.shift();
    const ns = `${BigInt(time.getTime()) * 1_000_000n}`;
    this.entries.push({ service, value: [ns, line.replace(/\n$/, "")] });
    this.sinceFlush += 1;
    if (this.sinceFlush >= MAX_REQUEST_ENTRIES) {
      void this.flush();
      return;
    }
    this.timer ??= setTimeout(() => void this.flush(), BUFFER_TIMEOUT_MS);
    this.timer.unref?.();
  }

  /** The push request body for the buffered entries (loki.go `buildRequest`). */
  request(): { streams: LokiStream[] } {
    const byService = new Map<string, (readonly [string, string])[]>();
    for (const e of this.entries) {
      const list = byService.get(e.service) ?? [];
      list.push(e.value);
      byService.set(e.service, list);
    }
    const services = [...byService.keys()].sort();
    return {
      streams: services.map((s) => ({
        stream: this.labels.get(s) ?? { pebble_service: s },
        values: byService.get(s)!,
      })),
    };
  }

  /** Sends what is buffered; on 429 and 5xx (or no answer) it stays for the next flush. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.sinceFlush = 0;
    this.flushing = this.flushing.then(async () => {
      if (this.entries.length === 0) return;
      const sent = this.entries;
      const status = await this.opts.post(this.location, JSON.stringify(this.request()), this.opts.userAgent);
      if (status === 200 || status === 204) {
        this.entries = this.entries.filter((e) => !sent.includes(e));
        return;
      }
      if (status >= 400 && status < 500 && status !== 429) {
        this.opts.log(
          `Target "${this.name}": request failed with status ${status}, dropping ${sent.length} logs`,
        );
        this.entries = this.entries.filter((e) => !sent.includes(e));
        return;
      }
      this.opts.log(
        `Cannot flush logs to target "${this.name}": ${status === 0 ? "no answer" : `server returned HTTP ${status}`}`,
      );
    });
    return this.flushing;
  }

  async stop(): Promise<void> {
    await this.flush();
  }
}

/** Options of {@link LogForwarder}. */
export interface LogForwarderOptions {
  /** `pebble/<version>`, as Pebble's User-Agent. */
  readonly userAgent: string;
  readonly post?: LokiPoster | undefined;
  /** Where the forwarder reports problems (the daemon's log). */
  readonly log?: ((line: string) => void) | undefined;
}

/** {@link LogForwarderOptions} with the defaults filled in. */
interface ForwarderDeps {
  readonly post: LokiPoster;
  readonly userAgent: string;
  readonly log: (line: string) => void;
}

/** The log manager of one Pebble server: targets from the plan, lines from the services. */
export class LogForwarder {
  private readonly targets = new Map<string, LokiTarget>();
  private readonly warned = new Set<string>();
  private readonly opts: ForwarderDeps;

  constructor(opts: LogForwarderOptions) {
    this.opts = {
      userAgent: opts.userAgent,
      post: opts.post ?? postLoki,
      log: opts.log ?? (() => undefined),
    };
  }

  /** Reconciles targets with a new plan (manager.go `PlanChanged`). */
  planChanged(plan: Plan): void {
    const wanted = plan["log-targets"] ?? {};
    for (const [name, t] of this.targets) {
      const spec = wanted[name];
      if (spec?.type !== "loki") {
        this.targets.delete(name);
        void t.stop();
      }
    }
    for (const [name, spec] of Object.entries(wanted)) {
      if (spec.type !== "loki") {
        if (!this.warned.has(name))
          this.opts.log(`log target "${name}" of type "${spec.type}" is not forwarded by this Pebble`);
        this.warned.add(name);
        continue;
      }
      let t = this.targets.get(name);
      if (!t) {
        t = new LokiTarget(name, spec.location ?? "", this.opts);
        this.targets.set(name, t);
      } else if (t.location !== spec.location) {
        void t.flush();
        t.location = spec.location ?? "";
      }
      for (const [svcName, svc] of Object.entries(plan.services ?? {})) {
        const selected = logsTo(svcName, spec.services ?? []);
        const env = (svc.environment ?? {}) as Record<string, string>;
        const labels = Object.fromEntries(
          Object.entries(spec.labels ?? {}).map(([k, v]) => [k, expandEnv(String(v), env)]),
        );
        t.setLabels(svcName, selected ? labels : undefined);
      }
    }
  }

  /** One output line of a service (the puller reading its ring buffer). */
  line(service: string, text: string, time: Date = new Date()): void {
    for (const t of this.targets.values()) if (t.logs(service)) t.add(service, text, time);
  }

  /** Flushes every target now (tests, and the daemon's shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.targets.values()].map((t) => t.flush()));
  }

  /** Final flush of every target (manager.go `Stop`). */
  async stop(): Promise<void> {
    const all = [...this.targets.values()];
    this.targets.clear();
    await Promise.all(all.map((t) => t.stop()));
  }
}
