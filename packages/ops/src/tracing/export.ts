/**
 * Where a charm's traces go and what has not gone yet, kept in the charm directory beside the state
 * file (as ops-tracing keeps `.tracing-data.db`), and the POST that sends them.
 *
 * A dispatch reads the file once at its start (one small read, or a missing file), may change the
 * destination, and at its end sends its own trace plus anything buffered, each POST bounded by a
 * short timeout so a slow or absent receiver never stalls a hook for long. Unsent traces are kept,
 * oldest dropped first past {@link MAX_BUFFERED}. Without a destination nothing is written at all.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

/** The file in the charm directory. */
export const TRACING_FILE = ".charmkit-tracing.json";
/** Traces kept while the receiver cannot be reached. */
export const MAX_BUFFERED = 50;
/** Per-POST timeout, as ops-tracing's (1 s). */
export const EXPORT_TIMEOUT_MS = 1000;

/** Where traces are sent: an OTLP/HTTP `/v1/traces` URL, and the CA bundle for https. */
export interface Destination {
  readonly url: string;
  readonly ca?: string | undefined;
}

/** The file's content. */
export interface TracingState {
  destination?: Destination | undefined;
  /** OTLP/JSON request bodies not sent yet, oldest first. */
  pending: string[];
}

/** Reads the state; a missing or unreadable file is an empty state (it only holds telemetry). */
export function loadTracingState(charmDir: string): TracingState {
  try {
    const raw = JSON.parse(readFileSync(join(charmDir, TRACING_FILE), "utf8")) as Partial<TracingState>;
    const dest = raw.destination;
    return {
      destination: dest && typeof dest.url === "string" ? { url: dest.url, ca: dest.ca } : undefined,
      pending: Array.isArray(raw.pending)
        ? raw.pending.filter((p): p is string => typeof p === "string")
        : [],
    };
  } catch {
    return { pending: [] };
  }
}

/** Writes the state atomically (0600); an empty state removes the file. */
export function saveTracingState(charmDir: string, state: TracingState): void {
  const path = join(charmDir, TRACING_FILE);
  if (!state.destination && state.pending.length === 0) {
    rmSync(path, { force: true });
    return;
  }
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 });
  renameSync(tmp, path);
}

/** POSTs one OTLP/JSON body; resolves true on a 2xx answer, false on anything else (never throws). */
export function postTraces(dest: Destination, body: string, timeoutMs = EXPORT_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(dest.url);
    } catch {
      resolve(false);
      return;
    }
    const https = url.protocol === "https:";
    if (!https && url.protocol !== "http:") {
      resolve(false);
      return;
    }
    // node:http and node:https (with TLS and node:crypto) take ~10 ms to load: only when sending.
    const lib = createRequire("/")(https ? "node:https" : "node:http") as typeof import("node:http");
    const send = lib.request;
    const req = send(
      url,
      {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        timeout: timeoutMs,
        ...(https && dest.ca ? { ca: dest.ca } : {}),
      },
      (res) => {
        res.resume();
        const ok = (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300;
        res.on("end", () => resolve(ok));
        res.on("error", () => resolve(false));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve(false));
    req.end(body);
  });
}
