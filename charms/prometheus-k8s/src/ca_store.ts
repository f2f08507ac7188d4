/**
 * The CAs Prometheus trusts when it scrapes, sends alerts and traces: the CA of its own server
 * certificate (`certificates`) and every CA received over `receive-ca-cert`, installed in the
 * workload's system trust store at the Python charm's paths and activated with
 * `update-ca-certificates --fresh`. Prometheus (Go) reads the system roots once per process, so a
 * change means a restart, as the Python charm restarts on `receive-ca-cert` changes.
 */
import type { ExecResult, Workload } from "./apply.js";

/** Where Debian's update-ca-certificates picks up local CAs. */
export const LOCAL_CA_DIR = "/usr/local/share/ca-certificates";
/** The CA of the `certificates` relation (the Python charm's `_ca_cert_path`). */
export const TLS_CA_PATH = `${LOCAL_CA_DIR}/ca.crt`;
/** The CAs of `receive-ca-cert` (the Python charm's `RECV_CA_CERT_FOLDER_PATH`), `<i>.crt` each. */
export const RECEIVED_CA_DIR = `${LOCAL_CA_DIR}/juju_receive-ca-cert`;
export const UPDATE_CA_CERTIFICATES = "update-ca-certificates";

/** The trust-store files wanted: path to PEM. Received CAs sorted, numbered as the Python charm does. */
export function trustStoreFiles(
  tlsCa: string | undefined,
  received: readonly string[],
): Record<string, string> {
  const files: Record<string, string> = {};
  if (tlsCa) files[TLS_CA_PATH] = withNewline(tlsCa);
  [...received].sort().forEach((pem, i) => {
    files[`${RECEIVED_CA_DIR}/${i}.crt`] = withNewline(pem);
  });
  return files;
}

function withNewline(pem: string): string {
  return pem.endsWith("\n") ? pem : `${pem}\n`;
}

/** What {@link applyTrustStore} did. */
export interface TrustStoreResult {
  /** Files were written or removed (the trust store was rebuilt). */
  readonly changed: boolean;
  /** Why the store could not be brought up to date, if it could not. */
  readonly error?: string | undefined;
}

/**
 * Brings the managed trust-store files to `wanted` (only `ca.crt` and the received-CA directory
 * are ours; other local CAs are left alone) and rebuilds the store when anything changed.
 */
export async function applyTrustStore(
  w: Workload,
  wanted: Readonly<Record<string, string>>,
  timeoutMs = 60_000,
): Promise<TrustStoreResult> {
  const current: Record<string, string | undefined> = {};
  try {
    for (const p of await w.list(RECEIVED_CA_DIR)) current[p] = await w.read(p);
    current[TLS_CA_PATH] = await w.read(TLS_CA_PATH);
  } catch (e) {
    return {
      changed: false,
      error: `reading the trust store: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
  const writes = Object.entries(wanted).filter(([p, c]) => current[p] !== c);
  const removes = Object.keys(current).filter((p) => current[p] !== undefined && !(p in wanted));
  if (writes.length === 0 && removes.length === 0) return { changed: false };
  let r: ExecResult;
  try {
    for (const p of removes) await w.remove(p);
    for (const [p, c] of writes) await w.write(p, c);
    r = await w.exec([UPDATE_CA_CERTIFICATES, "--fresh"], timeoutMs);
  } catch (e) {
    return {
      changed: true,
      error: `updating the trust store: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
  if (r.exitCode !== 0) {
    return {
      changed: true,
      error: `${UPDATE_CA_CERTIFICATES} --fresh exited with ${r.exitCode}: ${(r.stderr || r.stdout).trim().slice(0, 200)}`,
    };
  }
  return { changed: true };
}
