/** URL helpers shared by the interface libraries, matching the Python libraries' string rules. */

const HAS_SCHEME = /^\w+:\/\//;

/**
 * Prefixes `http://` when `url` has no `scheme://`, as the Python libraries do with
 * `re.match(r"^\w+://", url)`.
 */
export function ensureScheme(url: string): string {
  return HAS_SCHEME.test(url) ? url : `http://${url}`;
}

/** Joins a base URL and an absolute path without doubling the slash between them. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}${path.startsWith("/") ? path : `/${path}`}`;
}

/** The parts of an absolute URL, split the way Python's `urllib.parse.urlparse` splits them. */
export interface UrlParts {
  readonly scheme: string;
  /** `host[:port]` including any userinfo, exactly as written. */
  readonly netloc: string;
  /** Lower-cased host without brackets or port, like Python's `hostname`. */
  readonly hostname: string;
  /** Explicit port or `undefined`; unlike WHATWG `URL`, a default port such as `:80` is kept. */
  readonly port: number | undefined;
  /** Path as written, `""` when absent (WHATWG `URL` would turn that into `/`). */
  readonly path: string;
}

const URL_RE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?[^#]*)?(?:#.*)?$/;

/**
 * Splits `scheme://netloc/path` without normalising anything, so the pieces match what the Python
 * libraries compute. Returns `undefined` when `url` is not of that form or has a bad port.
 */
export function splitUrl(url: string): UrlParts | undefined {
  const m = URL_RE.exec(url);
  if (!m) return undefined;
  const netloc = m[2]!;
  const hostport = netloc.includes("@") ? netloc.slice(netloc.lastIndexOf("@") + 1) : netloc;
  let hostname = hostport;
  let portText: string | undefined;
  if (hostport.startsWith("[")) {
    const end = hostport.indexOf("]");
    if (end < 0) return undefined;
    hostname = hostport.slice(1, end);
    const rest = hostport.slice(end + 1);
    if (rest.startsWith(":")) portText = rest.slice(1);
    else if (rest !== "") return undefined;
  } else {
    const colon = hostport.lastIndexOf(":");
    if (colon >= 0) {
      hostname = hostport.slice(0, colon);
      portText = hostport.slice(colon + 1);
    }
  }
  let port: number | undefined;
  if (portText !== undefined && portText !== "") {
    if (!/^\d+$/.test(portText) || Number(portText) > 65535) return undefined;
    port = Number(portText);
  }
  return { scheme: m[1]!.toLowerCase(), netloc, hostname: hostname.toLowerCase(), port, path: m[3]! };
}
