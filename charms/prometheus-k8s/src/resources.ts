/**
 * The workload container's compute resources, as the Python charm sets them through
 * `KubernetesComputeResourcesPatch` (observability_libs v0, LIBPATCH 9): limits from the `cpu` and
 * `memory` options, requests of 0.25 CPU and 200Mi, and `adjust_resource_requirements` with
 * `adhere_to_requests`: a limit below its request is raised to it. Pure: the Kubernetes calls are in
 * kubernetes.ts.
 */

/** `limits` and `requests` of one container, as the Kubernetes API takes them. */
export interface ResourceRequirements {
  readonly limits: Readonly<Record<string, string>>;
  readonly requests: Readonly<Record<string, string>>;
}

/** The Python charm's requests (`_resource_reqs_from_config`). */
export const DEFAULT_REQUESTS: Readonly<Record<string, string>> = Object.freeze({
  cpu: "0.25",
  memory: "200Mi",
});

const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/**
 * A Kubernetes quantity as a number (`500m` → 0.5, `1Gi` → 1073741824, `2e3` → 2000), or
 * `undefined` when it is not one. The numbers involved (cores, bytes below 2^53) are exact enough
 * for the comparisons and rounding done here.
 */
export function parseQuantity(q: string): number | undefined {
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei))?$/.exec(
    q.trim(),
  );
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[2] !== undefined) return Number(`${m[1]}${m[2]}`);
  return base * (SUFFIX[m[3] ?? ""] ?? Number.NaN);
}

/** Python's `str(Decimal.quantize(0.001, ROUND_UP)).rstrip("0").rstrip(".")`. */
function formatQuantity(n: number): string {
  if (Number.isInteger(n)) return String(n);
  // The small epsilon keeps a binary rounding error (0.1 * 3) from rounding a whole milli up.
  const milli = Math.ceil(n * 1000 - 1e-9);
  return (milli / 1000).toFixed(3).replace(/0+$/, "").replace(/\.$/, "");
}

/**
 * `adjust_resource_requirements(limits, requests, adhere_to_requests=True)`: empty values dropped,
 * memory rounded up to whole bytes (`sanitize_resource_spec_dict`), keys only in `limits` copied to
 * `requests` (as Kubernetes does), then each limit raised to at least its request.
 *
 * @example adjustResourceRequirements({ cpu: "1" }, { cpu: "2" }) // limits {cpu: "2"}, requests {cpu: "2"}
 */
export function adjustResourceRequirements(
  limits: Readonly<Record<string, string | undefined>>,
  requests: Readonly<Record<string, string | undefined>>,
): ResourceRequirements {
  const sanitize = (spec: Readonly<Record<string, string | undefined>>): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(spec)) if (v) out[k] = v;
    const bytes = out.memory === undefined ? undefined : parseQuantity(out.memory);
    if (bytes !== undefined && !Number.isInteger(bytes)) out.memory = String(Math.ceil(bytes));
    return out;
  };
  const lim = sanitize(limits);
  const req = sanitize(requests);
  for (const [k, v] of Object.entries(lim)) if (!(k in req)) req[k] = v;
  for (const [k, v] of Object.entries(lim)) {
    const l = parseQuantity(v);
    const r = parseQuantity(req[k] ?? "");
    if (l === undefined || r === undefined) continue;
    lim[k] = formatQuantity(Math.max(l, r));
  }
  return { limits: lim, requests: req };
}

/**
 * The requirements for the `cpu`/`memory` options (unset ones leave no limit) and the Python
 * charm's requests.
 *
 * @example resourceRequirements("500m", "1Gi") // limits {cpu: "0.5", memory: "1073741824"}, requests DEFAULT_REQUESTS
 */
export function resourceRequirements(
  cpu: string | undefined,
  memory: string | undefined,
): ResourceRequirements {
  return adjustResourceRequirements({ cpu, memory }, DEFAULT_REQUESTS);
}

/** lightkube's `equals_canonically`: the same keys with the same quantities, whatever their spelling. */
export function sameRequirements(
  a:
    | {
        limits?: Readonly<Record<string, string>> | undefined;
        requests?: Readonly<Record<string, string>> | undefined;
      }
    | undefined,
  b: ResourceRequirements,
): boolean {
  if (!a) return false;
  const same = (x: Readonly<Record<string, string>> = {}, y: Readonly<Record<string, string>>) => {
    const kx = Object.keys(x).sort();
    const ky = Object.keys(y).sort();
    return (
      kx.length === ky.length &&
      kx.every((k, i) => k === ky[i] && parseQuantity(x[k]!) === parseQuantity(y[k]!))
    );
  };
  return same(a.limits, b.limits) && same(a.requests, b.requests);
}
