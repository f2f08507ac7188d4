/**
 * The Prometheus command line (the Python charm's `_generate_command`), in the exact order the Python charm uses, so that an
 * unchanged config gives an identical Pebble command and no restart. Also the retention-size
 * computation from the storage capacity.
 *
 * Storage capacity: the Python charm asks the Kubernetes API for the PVC's size (which needs
 * `juju trust` and two API calls per hook). We read it from the filesystem of the storage mount
 * instead (`statfs`), which works the same under Juju on Kubernetes (the storage is also mounted
 * in the charm container) and on the local runtime, where there is no Kubernetes API at all.
 */
import { statfsSync } from "node:fs";
import type { CharmConfig } from "./config.js";

/** Paths inside the workload container. */
export const PATHS = {
  binary: "/bin/prometheus",
  config: "/etc/prometheus/prometheus.yml",
  webConfig: "/etc/prometheus/prometheus-web-config.yml",
  tsdb: "/var/lib/prometheus",
} as const;

/** Inputs of {@link prometheusArgs}. */
export interface FlagInputs {
  readonly config: CharmConfig;
  /** Ingress URL or `http(s)://<fqdn>:9090`; a trailing `/` is dropped. */
  readonly externalUrl: string;
  readonly tls: boolean;
  /** `--storage.tsdb.retention.size` value such as `0.8GB`; absent omits the flag. */
  readonly retentionSize?: string | undefined;
}

/** The argv of Prometheus, binary first. */
export function prometheusArgs(input: FlagInputs): string[] {
  const { config } = input;
  const args = [
    PATHS.binary,
    `--config.file=${PATHS.config}`,
    `--storage.tsdb.path=${PATHS.tsdb}`,
    "--web.enable-lifecycle",
  ];
  if (input.tls) args.push(`--web.config.file=${PATHS.webConfig}`);
  args.push(`--web.external-url=${input.externalUrl.replace(/\/+$/, "")}`);
  args.push("--web.route-prefix=/");
  args.push("--web.enable-remote-write-receiver");
  args.push(`--log.level=${config.logLevel}`);
  if (config.walCompression) args.push("--storage.tsdb.wal-compression");
  if (config.maxExemplars > 0) args.push("--enable-feature=exemplar-storage");
  if (config.retentionTime !== undefined) args.push(`--storage.tsdb.retention.time=${config.retentionTime}`);
  if (input.retentionSize !== undefined) args.push(`--storage.tsdb.retention.size=${input.retentionSize}`);
  return args;
}

/**
 * The Pebble `command` string (a single string; its order matters: it is compared with the
 * service's command in Pebble's plan).
 */
export function prometheusCommand(input: FlagInputs): string {
  return prometheusArgs(input).join(" ");
}

/** Rounds to an integer, ties to even (Python `Decimal.quantize` default). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round rounds ties up; pull an exact .5 tie on an odd result back to the even neighbour.
  if (Math.abs(x % 1) === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}

/**
 * `capacity * ratio` in GiB, quantized to 0.001 and without trailing zeros, suffixed `GB`
 * (Prometheus' legacy binary unit). `1Gi` at 80% gives `0.8GB`; `1G` at 100% gives `0.931GB`.
 */
export function retentionSize(capacityBytes: number, ratio: number): string {
  if (!Number.isFinite(capacityBytes) || capacityBytes < 0)
    throw new RangeError(`invalid capacity ${capacityBytes}`);
  if (!(ratio >= 0 && ratio <= 1)) throw new RangeError(`invalid ratio ${ratio}`);
  const milli = roundHalfEven((capacityBytes * ratio * 1000) / 2 ** 30);
  const text = (milli / 1000).toFixed(3).replace(/0+$/, "").replace(/\.$/, "");
  return `${text}GB`;
}

/** Total size in bytes of the filesystem holding `path` (the storage mount). */
export function filesystemCapacity(path: string): number {
  const s = statfsSync(path);
  return Number(s.blocks) * Number(s.bsize);
}
