/**
 * What the testers' workload scripts share: their command line and safe HTML. The charm build
 * bundles it into each script that imports it (`charmkit.workload`, see @charmkit/build's
 * workload.ts), so the script the charm pushes into its container is one file.
 */
import { readFileSync } from "node:fs";

/** `--name VALUE` from the script's arguments, or `fallback` when it is not given. */
export function option(
  name: string,
  fallback: string,
  argv: readonly string[] = process.argv.slice(2),
): string {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
}

/**
 * `[HOST]:PORT` as `server.listen` takes it: the brackets of an IPv6 host dropped, and an empty
 * host (`:8080`) for every interface, as a Kubernetes workload listens.
 */
export function listenAddress(listen: string): { host: string; port: number } {
  const sep = listen.lastIndexOf(":");
  return { host: listen.slice(0, sep).replace(/^\[|\]$/g, ""), port: Number(listen.slice(sep + 1)) };
}

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** `s` as text inside HTML, in an element or a quoted attribute. */
export function escapeHtml(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** The JSON in `file`, or `fallback` when it cannot be read or parsed. */
export function readJson<T>(file: string, fallback: T): T {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch {
    return fallback;
  }
}
