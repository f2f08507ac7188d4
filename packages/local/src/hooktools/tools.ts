/**
 * The hook tools' behaviour, following Juju 3.6's jujuc (internal/worker/uniter/runner/jujuc/*.go,
 * the hook context in internal/worker/uniter/runner/context, and juju/cmd): the same flags per
 * tool, `--format` only where jujuc has it and with the formats each accepts, the same output
 * shapes, error texts and exit codes. Everything about the model goes through `ToolHost`, which
 * the controller implements per running hook (with the hook's write buffer), so this file keeps
 * no state of its own.
 */
import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import {
  atoi,
  checkEmpty,
  errnoText,
  type FlagKind,
  type FlagSpec,
  type Formatter,
  goQuote,
  outputFlags,
  type ParsedArgs,
  parseArgs,
  sortedMap,
  ToolError,
  usage,
  writeOutput,
} from "./cli.js";
import type { ToolReply, ToolRequest } from "./wire.js";
import { parseSettingsYaml, SettingsYamlError } from "./yamlv2.js";

export { ToolError } from "./cli.js";

/** A unit or application status as Juju shows it. */
export interface StatusValue {
  readonly status: string;
  readonly message: string;
}

/** A relation as seen from the unit running the hook. */
export interface RelationView {
  readonly id: number;
  readonly endpoint: string;
  readonly remoteApp: string;
  readonly peer: boolean;
  /** Remote units this unit currently sees as joined, sorted. */
  readonly units: readonly string[];
}

/** One secret, as kept by the model (content values are the decoded strings). */
export interface SecretRecord {
  id: string;
  owner: string;
  ownerKind: "application" | "unit";
  label?: string | undefined;
  description?: string | undefined;
  expire?: string | undefined;
  rotate?: string | undefined;
  /** When the next rotation is due (RFC 3339), for a rotate policy other than never. */
  rotates?: string | undefined;
  revisions: { revision: number; content: Record<string, string> }[];
  /** Relation id to the app or unit names it is granted to. */
  grants: Record<string, string[]>;
  /** Consumer unit name to the revision it tracks and the label it gave. */
  consumers: Record<string, { revision: number; label?: string | undefined }>;
}

/** The model operations hook tools need, scoped to one running hook. */
export interface ToolHost {
  readonly unit: string;
  readonly app: string;
  readonly modelUuid: string;
  readonly address: string;
  /** The hook's JUJU_* environment (defaults for `-r`, remote unit, storage id). */
  readonly env: Readonly<Record<string, string>>;
  /** Endpoint names the charm declares (network-get bindings). */
  readonly endpoints: readonly string[];
  /** "caas" for a Kubernetes model (the default), "iaas" for machines. */
  readonly modelType?: "caas" | "iaas";
  isLeader(): boolean;
  config(): Record<string, unknown>;
  /** Every option the charm declares, set or not (for `config-get --all`). */
  configKeys?(): readonly string[];
  relationIds(endpoint: string): number[];
  relation(id: number): RelationView | undefined;
  /** A bag as this hook sees it (snapshot plus own writes); `undefined` when there is no such bag. */
  readBag(relationId: number, owner: string): Record<string, string> | undefined;
  writeBag(relationId: number, owner: string, updates: Readonly<Record<string, string>>): void;
  unitStatus(): StatusValue;
  appStatus(): { application: StatusValue; units: Record<string, StatusValue> };
  setStatus(application: boolean, s: StatusValue): void;
  setWorkloadVersion(v: string): void;
  log(level: string, message: string): void;
  action(): { name: string; params: Record<string, unknown> } | undefined;
  actionSet(results: Record<string, string>): void;
  actionLog(message: string): void;
  actionFail(message: string): void;
  /** Open port ranges: "80/tcp" for all endpoints, "80/tcp@<endpoint>" for one endpoint. */
  openedPorts(): string[];
  setPort(open: boolean, spec: string): void;
  storage(): { id: string; location: string }[];
  stateGet(): Record<string, string>;
  /** Buffers state changes; `null` deletes a key (an empty string is a value, as in Juju). */
  stateSet(updates: Readonly<Record<string, string | null>>): void;
  /** Secrets as this hook sees them; `mutate` changes them in the hook's buffer. */
  secrets(): Readonly<Record<string, SecretRecord>>;
  mutateSecrets(fn: (s: Record<string, SecretRecord>) => void): void;
  newSecretId(): string;
  goalState(): unknown;
  /** The application's leader settings (leader-get). */
  leaderSettings?(): Record<string, string>;
  /** Merges into the leader settings at once ("" deletes), as Juju's leader-set does. */
  writeLeaderSettings?(updates: Readonly<Record<string, string>>): void;
  /** The cloud spec credential-get prints, or undefined when the application is not trusted. */
  cloudSpec?(): Record<string, unknown> | undefined;
  /** The local path of a file resource; throws an Error saying why it cannot be had. */
  resourcePath?(name: string): string;
  /** Records a juju-reboot request. */
  requestReboot?(now: boolean): void;
}

/** Every tool the runtime provides (each becomes an executable on PATH). */
export const TOOL_NAMES = [
  "action-fail",
  "action-get",
  "action-log",
  "action-set",
  "application-version-set",
  "close-port",
  "config-get",
  "credential-get",
  "goal-state",
  "is-leader",
  "juju-log",
  "juju-reboot",
  "leader-get",
  "leader-set",
  "network-get",
  "open-port",
  "opened-ports",
  "relation-get",
  "relation-ids",
  "relation-list",
  "relation-model-get",
  "relation-set",
  "resource-get",
  "secret-add",
  "secret-get",
  "secret-grant",
  "secret-ids",
  "secret-info-get",
  "secret-remove",
  "secret-revoke",
  "secret-set",
  "state-delete",
  "state-get",
  "state-set",
  "status-get",
  "status-set",
  "storage-add",
  "storage-get",
  "storage-list",
  "unit-get",
] as const;

/** One call: the parsed command line plus what the tool needs to answer. */
interface Call {
  readonly host: ToolHost;
  readonly req: ToolRequest;
  readonly p: ParsedArgs;
  /** Text juju/cmd writes to stderr without failing (the deprecated `--format` warning). */
  warn(text: string): void;
  /** Writes `value` with the tool's formatter flags. */
  out(value: unknown): string;
}

interface Tool {
  readonly purpose: string;
  readonly args?: string;
  /** Flags besides the output ones. */
  readonly flags?: (host: ToolHost) => FlagSpec;
  /** `--format` formats and the default, for tools that write structured output. */
  readonly output?: { readonly formats: readonly Formatter[]; readonly default: Formatter };
  /** jujuc's deprecated, ignored `--format` (relation-set, open-port, close-port, juju-log). */
  readonly deprecatedFormat?: boolean;
  run(call: Call): string;
}

const SMART = { formats: ["smart", "yaml", "json"], default: "smart" } as const;
const YAML_JSON = { formats: ["yaml", "json"], default: "yaml" } as const;

// ----- shared pieces ------------------------------------------------------------------------------

/** juju/names: application and unit names. */
const APP_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*$/;
const UNIT_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*\/(?:0|[1-9][0-9]*)$/;

/** The `-r/--relation` flag: jujuc keeps only what follows the last colon and checks the id exists. */
function relationFlag(host: ToolHost): FlagSpec {
  const set = (value: string) => {
    const idx = value.lastIndexOf(":");
    let id: number;
    try {
      id = atoi(idx >= 0 ? value.slice(idx + 1) : value);
    } catch {
      throw new Error("invalid relation id");
    }
    if (!host.relation(id)) throw new Error("relation not found");
    return id;
  };
  return { flags: { relation: { kind: "string", set } }, aliases: { r: "relation" } };
}

/** The relation a tool acts on: `-r`, else the hook's own relation; undefined when neither. */
function relationId(call: Call): number | undefined {
  const given = call.p.values.get("relation") as number | undefined;
  if (given !== undefined) return given;
  const env = call.host.env.JUJU_RELATION_ID;
  if (!env) return undefined;
  const id = Number(env.slice(env.lastIndexOf(":") + 1));
  return call.host.relation(id) ? id : undefined;
}

function requireRelation(call: Call): RelationView {
  const id = relationId(call);
  if (id === undefined) throw usage("no relation id specified");
  const rel = call.host.relation(id);
  if (!rel) throw new ToolError("relation not found");
  return rel;
}

function merge(...specs: FlagSpec[]): FlagSpec {
  const flags: Record<string, FlagKind> = {};
  const aliases: Record<string, string> = {};
  for (const s of specs) {
    Object.assign(flags, s.flags);
    Object.assign(aliases, s.aliases ?? {});
  }
  return { flags, aliases };
}

const bool: FlagKind = { kind: "bool" };
const str: FlagKind = { kind: "string" };

/** juju/utils keyvalues.Parse(args, allowEmptyValues=true): trims, refuses duplicates. */
function keyValues(args: readonly string[]): Record<string, string> {
  const res: Record<string, string> = {};
  for (const kv of args) {
    const eq = kv.indexOf("=");
    if (eq < 0) throw usage(`expected "key=value", got ${goQuote(kv)}`);
    const key = kv.slice(0, eq).trim();
    const value = kv.slice(eq + 1).trim();
    if (key === "") throw usage(`expected "key=value", got "${key}=${value}"`);
    if (key in res) throw usage(`key ${goQuote(key)} specified more than once`);
    res[key] = value;
  }
  return res;
}

/** Reads a file the tool names, at its place on this machine (see `ToolRequest.resolvePath`). */
function readNamedFile(req: ToolRequest, full: string): Buffer {
  return readFileSync(req.resolvePath ? req.resolvePath(full) : full);
}

/** juju/cmd FileVar: "-" is stdin, other paths are relative to the tool's working directory. */
function readFileVar(req: ToolRequest, path: string): Buffer {
  if (path === "-") return req.stdin;
  const full = isAbsolute(path) ? path : resolve(req.cwd, path);
  try {
    return readNamedFile(req, full);
  } catch (e) {
    throw new ToolError(`open ${full}: ${errnoText(e)}`);
  }
}

function readSettings(req: ToolRequest, path: string): Record<string, string> {
  try {
    return parseSettingsYaml(readFileVar(req, path));
  } catch (e) {
    if (e instanceof SettingsYamlError) throw new ToolError(e.message);
    throw e;
  }
}

function deprecatedFormatWarning(call: Call, name: string): void {
  if (call.p.values.get("format")) call.warn(`--format flag deprecated for command ${goQuote(name)}`);
}

// ----- ports --------------------------------------------------------------------------------------

interface PortRange {
  from: number;
  to: number;
  protocol: string;
}

/** core/network ParsePortRange, then Validate. */
function parsePortRange(raw: string): PortRange {
  let spec = raw;
  let protocol = "tcp";
  const slash = spec.indexOf("/");
  if (slash >= 0) {
    protocol = spec.slice(slash + 1);
    spec = spec.slice(0, slash);
  }
  const parts = spec.split("-");
  if (parts.length > 2) throw usage(`invalid port range ${goQuote(spec)}`);
  const num = (s: string, shown: string): number => {
    try {
      return atoi(s);
    } catch (e) {
      throw usage(`invalid port ${goQuote(shown)}: ${(e as Error).message}`);
    }
  };
  let from: number;
  let to: number;
  if (parts.length === 1) {
    if (parts[0] === "icmp") from = to = -1;
    else from = to = num(parts[0]!, spec);
  } else {
    from = num(parts[0]!, parts[0]!);
    to = num(parts[1]!, parts[1]!);
  }
  if (from === -1) protocol = "icmp";
  const proto = protocol.toLowerCase();
  if (proto !== "tcp" && proto !== "udp" && proto !== "icmp") {
    throw usage(`invalid protocol ${goQuote(proto)}, expected "tcp", "udp", or "icmp"`);
  }
  if (proto === "icmp") {
    if (from !== -1 || to !== -1) throw usage(`protocol "icmp" doesn't support any ports; got "${from}"`);
    return { from, to, protocol };
  }
  if (from > to) throw usage(`invalid port range ${portString({ from, to, protocol })}`);
  if (from < 0 || from > 65535 || to < 0 || to > 65535) {
    throw usage(`port range bounds must be between 0 and 65535, got ${from}-${to}`);
  }
  return { from, to, protocol };
}

function portString(p: PortRange): string {
  const proto = p.protocol.toLowerCase();
  if (proto === "icmp") return proto;
  return p.from === p.to ? `${p.from}/${proto}` : `${p.from}-${p.to}/${proto}`;
}

/** Sorts as core/network SortPortRanges: protocol, then first port, then last. */
function sortPorts(specs: readonly string[]): string[] {
  const parsed = specs.map((s) => {
    const m = /^(?:(\d+)(?:-(\d+))?\/)?(\w+)$/.exec(s);
    const from = m?.[1] === undefined ? -1 : Number(m[1]);
    return { s, protocol: m?.[3] ?? s, from, to: m?.[2] === undefined ? from : Number(m[2]) };
  });
  parsed.sort((a, b) =>
    a.protocol !== b.protocol ? (a.protocol < b.protocol ? -1 : 1) : a.from - b.from || a.to - b.to,
  );
  return [...new Set(parsed.map((p) => p.s))];
}

function portTool(open: boolean): Tool {
  return {
    purpose: `register a request to ${open ? "open" : "close"} a port or port range`,
    args: "<port>[/<protocol>] or <from>-<to>[/<protocol>] or icmp",
    deprecatedFormat: true,
    flags: () => ({ flags: { endpoints: str } }),
    run(call) {
      const name = open ? "open-port" : "close-port";
      if (call.p.args.length === 0) throw usage("no port or range specified");
      const range = parsePortRange(call.p.args[0]!.toLowerCase());
      checkEmpty(call.p.args.slice(1));
      deprecatedFormatWarning(call, name);
      // The hook context refuses ranges on Kubernetes models (portRangeChangeRecorder).
      if ((call.host.modelType ?? "caas") === "caas" && range.from !== range.to) {
        throw new ToolError(
          "port ranges are not supported for k8s applications, please specify a single port",
        );
      }
      // ports.go makePortRangeCommand: no --endpoints means every endpoint; otherwise one
      // request per listed endpoint. The host keeps endpoint-scoped ranges as "<range>@<endpoint>".
      const endpoints = ((call.p.values.get("endpoints") as string | undefined) ?? "")
        .split(",")
        .map((e) => e.trim());
      const wanted = endpoints.every((e) => e === "") ? [""] : endpoints;
      for (const ep of wanted)
        call.host.setPort(open, ep === "" ? portString(range) : `${portString(range)}@${ep}`);
      return "";
    },
  };
}

// ----- secrets ------------------------------------------------------------------------------------

/** core/secrets ParseURI: `secret:<id>`, `secret://<uuid>/<id>`, or a bare 20-character xid. */
function parseSecretUri(raw: string): { id: string; source?: string } | undefined {
  const UUID = "[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}";
  const ID = "[0-9a-v]{20}";
  let rest = raw;
  let host = "";
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(rest);
  if (scheme) {
    if (scheme[1] !== "secret") return undefined;
    rest = rest.slice(scheme[0].length);
  }
  if (rest.startsWith("//")) {
    const slash = rest.indexOf("/", 2);
    host = slash < 0 ? rest.slice(2) : rest.slice(2, slash);
    rest = slash < 0 ? "" : rest.slice(slash);
    if (host !== "" && !new RegExp(`^${UUID}$`).test(host)) return undefined;
  }
  rest = rest.replace(/^\/+/, "");
  const m = new RegExp(`^(?:(${UUID})/)?(${ID})$`).exec(rest);
  if (!m) return undefined;
  const source = m[1] ?? (host || undefined);
  return source === undefined ? { id: m[2]! } : { id: m[2]!, source };
}

function secretUriArg(raw: string): string {
  const uri = parseSecretUri(raw);
  if (!uri) throw usage(`secret URI ${goQuote(raw)} not valid`);
  return uri.id;
}

/** core/secrets keyRegExp: at least three characters. */
const SECRET_KEY = /^([a-z](?:-?[a-z0-9]){2,})$/;
const SECRET_VALUE_MAX = 8 * 1024;
const SECRET_CONTENT_MAX = 64 * 1024;
const ROTATE_POLICIES = ["never", "hourly", "daily", "weekly", "monthly", "quarterly", "yearly"];
const HOUR_MS = 3_600_000;
/** core/secrets RotatePolicy.NextRotateTime intervals. */
const ROTATE_INTERVAL_MS: Readonly<Record<string, number>> = {
  hourly: HOUR_MS,
  daily: 24 * HOUR_MS,
  weekly: 7 * 24 * HOUR_MS,
  monthly: 30 * 24 * HOUR_MS,
  quarterly: 90 * 24 * HOUR_MS,
  yearly: 365 * 24 * HOUR_MS,
};

/** The next rotation time for a policy, as the controller sets it when the policy is set. */
function nextRotation(policy: string | undefined): string | undefined {
  const ms = policy === undefined ? undefined : ROTATE_INTERVAL_MS[policy];
  return ms === undefined ? undefined : new Date(Date.now() + ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** core/secrets CreateSecretData and ReadSecretData, returning decoded values. */
function secretData(call: Call, args: readonly string[], file: string | undefined): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const val of args) {
    const stripped = val.replace(/=+$/, "");
    const idx = stripped.indexOf("=");
    if (idx < 1) throw usage(`key value ${goQuote(val)} not valid`);
    let key = val.slice(0, idx);
    let value = val.slice(idx + 1);
    if (key.endsWith("#file")) {
      key = key.slice(0, -5);
      const path = isAbsolute(value) ? value : resolve(call.req.cwd, value);
      try {
        value = readNamedFile(call.req, path).toString("utf8");
      } catch (e) {
        throw usage(`reading content for secret key ${goQuote(key)}: open ${value}: ${errnoText(e)}`);
      }
    }
    raw[key] = value;
  }
  if (file !== undefined && file !== "") {
    const text = readFileVar(call.req, file).toString();
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      try {
        doc = parseYaml(text);
      } catch (e) {
        throw usage(`yaml: ${(e as Error).message.split("\n")[0]}`);
      }
    }
    if (doc !== null && typeof doc === "object" && !Array.isArray(doc)) {
      for (const [k, v] of Object.entries(doc)) raw[k] = String(v);
    }
  }
  const out: Record<string, string> = {};
  let size = 0;
  for (const [k, v] of Object.entries(raw)) {
    if (v.length > SECRET_VALUE_MAX)
      throw usage(`secret content for key ${goQuote(k)} too large: ${v.length} bytes`);
    size += v.length;
    const b64 = k.endsWith("#base64");
    const key = b64 ? k.slice(0, -7) : k;
    if (!SECRET_KEY.test(key)) throw usage(`key ${goQuote(key)} not valid`);
    out[key] = b64 ? Buffer.from(v, "base64").toString() : v;
  }
  if (size > SECRET_CONTENT_MAX) throw usage(`secret content too large: ${size} bytes`);
  return out;
}

/** The upsert flags secret-add and secret-set share, checked as jujuc's Init does. */
const UPSERT_FLAGS: FlagSpec = {
  flags: { expire: str, rotate: str, description: str, label: str, file: str, owner: str },
};

function upsertMeta(call: Call): { expire?: string; rotate?: string; description?: string; label?: string } {
  const v = call.p.values;
  const res: { expire?: string; rotate?: string; description?: string; label?: string } = {};
  const expire = v.get("expire") as string | undefined;
  if (expire) {
    const asTime = Date.parse(/Z|[+-]\d\d:\d\d$/.test(expire) ? expire : `${expire}Z`);
    if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/.test(expire) && !Number.isNaN(asTime)) {
      res.expire = new Date(asTime).toISOString().replace(/\.\d{3}Z$/, "Z");
    } else {
      const ms = goDuration(expire);
      if (ms === undefined) throw usage(`expire time or duration ${goQuote(expire)} not valid`);
      if (ms <= 0) throw usage(`negative expire duration ${goQuote(expire)} not valid`);
      res.expire = new Date(Date.now() + ms).toISOString().replace(/\.\d{3}Z$/, "Z");
    }
  }
  const rotate = v.get("rotate") as string | undefined;
  if (rotate) {
    if (!ROTATE_POLICIES.includes(rotate)) throw usage(`rotate policy ${goQuote(rotate)} not valid`);
    res.rotate = rotate;
  }
  const owner = (v.get("owner") as string | undefined) ?? "application";
  if (owner !== "application" && owner !== "unit") throw usage(`secret owner ${goQuote(owner)} not valid`);
  const description = v.get("description") as string | undefined;
  if (description) res.description = description;
  const label = v.get("label") as string | undefined;
  if (label) res.label = label;
  return res;
}

/** Go's time.ParseDuration, in milliseconds. */
function goDuration(s: string): number | undefined {
  const m = /^([+-])?((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/.exec(s);
  if (!m && s !== "0") return undefined;
  if (s === "0") return 0;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 };
  let total = 0;
  for (const part of s.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(part[1]) * unit[part[2]!]!;
  }
  return s.startsWith("-") ? -total : total;
}

function isOwner(host: ToolHost, s: SecretRecord): boolean {
  return s.ownerKind === "unit" ? s.owner === host.unit : s.owner === host.app;
}

/** Secrets this unit's charm created (the hook context's SecretMetadata). */
function ownedSecrets(host: ToolHost): SecretRecord[] {
  return Object.values(host.secrets()).filter((s) => isOwner(host, s));
}

function requireManage(host: ToolHost, s: SecretRecord | undefined): void {
  if (s === undefined) return;
  if (!isOwner(host, s)) throw new ToolError("permission denied");
  if (s.ownerKind === "application" && !host.isLeader()) throw new ToolError("this unit is not the leader");
}

function isGranted(host: ToolHost, s: SecretRecord): boolean {
  return Object.entries(s.grants).some(
    ([rel, names]) =>
      host.relation(Number(rel)) !== undefined && (names.includes(host.app) || names.includes(host.unit)),
  );
}

function grantOrRevoke(grant: boolean): Tool {
  return {
    purpose: grant ? "Grant access to a secret." : "Revoke access to a secret.",
    args: "<ID>",
    flags: (host) => merge(relationFlag(host), { flags: grant ? { unit: str } : { unit: str, app: str } }),
    run(call) {
      const { host, p } = call;
      if (p.args.length < 1) throw usage("missing secret URI");
      const id = secretUriArg(p.args[0]!);
      checkEmpty(p.args.slice(1));
      const relId = p.values.get("relation") as number | undefined;
      const unit = p.values.get("unit") as string | undefined;
      const appName = p.values.get("app") as string | undefined;
      if (grant && relId === undefined) throw usage("missing relation");
      if (!grant && relId === undefined && unit === undefined && appName === undefined) {
        throw usage("missing relation or application or unit");
      }
      if (unit !== undefined && !UNIT_NAME.test(unit)) throw usage(`invalid unit name ${goQuote(unit)}`);
      const rel = relId === undefined ? undefined : host.relation(relId);
      if (rel && unit !== undefined && unit.split("/")[0] !== rel.remoteApp) {
        throw usage(
          `cannot specify unit ${goQuote(unit)} in relation ${goQuote(`${rel.endpoint}:${rel.id}`)}`,
        );
      }
      const s = host.secrets()[id];
      if (!s || !isOwner(host, s)) throw new ToolError(`secret ${goQuote(id)} not found`);
      requireManage(host, s);
      const who = unit ?? appName ?? rel?.remoteApp;
      if (who === undefined) return "";
      host.mutateSecrets((all) => {
        const x = all[id];
        if (!x) return;
        const keys = rel ? [String(rel.id)] : Object.keys(x.grants);
        for (const key of keys) {
          const cur = new Set(x.grants[key] ?? []);
          if (grant) cur.add(who);
          else cur.delete(who);
          x.grants[key] = [...cur].sort();
        }
      });
      return "";
    },
  };
}

// ----- the tools ----------------------------------------------------------------------------------

const STATUSES = ["maintenance", "blocked", "waiting", "active"];
/** charm.GetActionNameRule, applied to each dotted segment of an action-set key. */
const ACTION_KEY = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const RESERVED_ACTION_KEYS = ["stdout", "stdout-encoding", "stderr", "stderr-encoding"];
const LOG_LEVELS = ["TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];

function notInAction(host: ToolHost): void {
  if (!host.action()) throw new ToolError("not running an action");
}

/** goal-state's `since`: juju/cmd/juju/common FormatTime with ISO format. */
function goalSince(v: unknown): unknown {
  if (typeof v !== "string") return v;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return v;
  return new Date(t)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d{3}Z$/, "Z");
}

function goalStateShape(g: unknown): unknown {
  const fix = (units: unknown) =>
    sortedMap(
      Object.fromEntries(
        Object.entries((units ?? {}) as Record<string, { status: string; since?: string }>).map(([k, v]) => {
          const since = goalSince(v.since);
          return [k, since ? { status: v.status, since } : { status: v.status }];
        }),
      ),
    );
  const gs = (g ?? {}) as { units?: unknown; relations?: Record<string, unknown> };
  return {
    units: fix(gs.units),
    relations: sortedMap(Object.fromEntries(Object.entries(gs.relations ?? {}).map(([k, v]) => [k, fix(v)]))),
  };
}

const TOOLS: Record<(typeof TOOL_NAMES)[number], Tool> = {
  // relation-ids.go
  "relation-ids": {
    purpose: "List all relation IDs for the given endpoint.",
    args: "[<name>]",
    output: SMART,
    run(call) {
      const { host, p } = call;
      let name = host.env.JUJU_RELATION ?? "";
      if (p.args.length > 0) name = p.args[0]!;
      else if (name === "") throw usage("no endpoint name specified");
      checkEmpty(p.args.slice(1));
      // sort.Strings over "endpoint:id": Juju's order is by text, so "db:10" comes before "db:9".
      const ids = host
        .relationIds(name)
        .map((id) => `${name}:${id}`)
        .sort();
      return call.out(ids);
    },
  },
  // relation-list.go
  "relation-list": {
    purpose: "list relation units",
    output: SMART,
    flags: (host) => merge(relationFlag(host), { flags: { app: bool } }),
    run(call) {
      const rel = requireRelation(call);
      checkEmpty(call.p.args);
      if (call.p.values.get("app")) return call.out(rel.remoteApp);
      return call.out([...rel.units]);
    },
  },
  // relation-get.go
  "relation-get": {
    purpose: "Get relation settings.",
    args: "<key> <unit id>",
    output: SMART,
    flags: (host) => merge(relationFlag(host), { flags: { app: bool } }),
    run(call) {
      const { host, p } = call;
      if (relationId(call) === undefined) throw usage("no relation id specified");
      const args = [...p.args];
      let key = "";
      if (args.length > 0) {
        key = args.shift()!;
        if (key === "-") key = "";
      }
      let app = p.values.get("app") === true;
      let owner: string;
      if (args.length > 0) {
        const given = args.shift()!;
        if (app) {
          owner = UNIT_NAME.test(given) ? given.split("/")[0]! : given;
        } else if (!UNIT_NAME.test(given)) {
          if (APP_NAME.test(given)) throw usage(`expected unit name, got application name ${goQuote(given)}`);
          throw usage(`invalid unit name ${goQuote(given)}`);
        } else owner = given;
      } else if (app) {
        const remote = host.env.JUJU_REMOTE_APP;
        if (!remote) throw usage("no unit or application specified");
        owner = remote;
      } else if (host.env.JUJU_REMOTE_UNIT) {
        owner = host.env.JUJU_REMOTE_UNIT;
      } else if (host.env.JUJU_REMOTE_APP) {
        owner = host.env.JUJU_REMOTE_APP;
        app = true;
      } else throw usage("no unit or application specified");
      checkEmpty(args);
      const rel = requireRelation(call);
      // Reading your own application's bag is local for the leader; anyone else's read goes to
      // the controller, which refuses a non-leader's read of its own app bag outside peers.
      if (app && owner === host.app && !rel.peer && !host.isLeader())
        throw new ToolError("permission denied");
      const bag = host.readBag(rel.id, owner);
      if (!bag) {
        throw new ToolError(
          `cannot read settings for ${app ? "application" : "unit"} ${goQuote(owner)} in relation ${goQuote(`${rel.endpoint}:${rel.id}`)}: settings not found`,
        );
      }
      if (key === "") return call.out(sortedMap(bag));
      return call.out(key in bag ? bag[key] : null);
    },
  },
  // relation-set.go
  "relation-set": {
    purpose: "set relation settings",
    args: "key=value [key=value ...]",
    deprecatedFormat: true,
    flags: (host) => merge(relationFlag(host), { flags: { file: str, app: bool } }),
    run(call) {
      const { host, p, req } = call;
      if (relationId(call) === undefined) throw usage("no relation id specified");
      const overrides = keyValues(p.args);
      deprecatedFormatWarning(call, "relation-set");
      const file = p.values.get("file") as string | undefined;
      const settings = file ? { ...readSettings(req, file), ...overrides } : overrides;
      const rel = requireRelation(call);
      const app = p.values.get("app") === true;
      if (app && !host.isLeader()) throw new ToolError("cannot write relation settings");
      host.writeBag(rel.id, app ? host.app : host.unit, settings);
      return "";
    },
  },
  // relation-model-get.go
  "relation-model-get": {
    purpose: "Get details about the model hosting a related application.",
    output: SMART,
    flags: (host) => relationFlag(host),
    run(call) {
      requireRelation(call);
      checkEmpty(call.p.args);
      return call.out({ uuid: call.host.modelUuid });
    },
  },
  // config-get.go
  "config-get": {
    purpose: "Print application configuration.",
    args: "[<key>]",
    output: SMART,
    flags: () => ({ flags: { all: bool }, aliases: { a: "all" } }),
    run(call) {
      const { host, p } = call;
      const key = p.args[0] ?? "";
      const all = p.values.get("all") === true;
      if (key !== "" && all) throw usage(`cannot use argument --all together with key ${goQuote(key)}`);
      if (p.args.length > 0) checkEmpty(p.args.slice(1));
      const cfg = host.config();
      if (key !== "") return call.out(key in cfg ? cfg[key] : null);
      const res: Record<string, unknown> = { ...cfg };
      if (all) for (const k of host.configKeys?.() ?? []) if (!(k in res)) res[k] = null;
      return call.out(sortedMap(res));
    },
  },
  // is-leader.go
  "is-leader": {
    purpose: "Print application leadership status.",
    output: SMART,
    run(call) {
      checkEmpty(call.p.args);
      return call.out(call.host.isLeader());
    },
  },
  // status-get.go
  "status-get": {
    purpose: "Print status information.",
    args: "[--include-data] [--application]",
    output: SMART,
    flags: () => ({ flags: { "include-data": bool, application: bool } }),
    run(call) {
      const { host, p } = call;
      checkEmpty(p.args);
      const withData = p.values.get("include-data") === true;
      const smart = ((p.values.get("format") as string | undefined) ?? "smart") === "smart";
      const details = (s: StatusValue) =>
        withData ? { message: s.message, status: s.status, "status-data": {} } : { status: s.status };
      if (p.values.get("application") === true) {
        if (!host.isLeader()) throw new ToolError("finding application status: this unit is not the leader");
        const a = host.appStatus();
        if (!withData && smart) return call.out(a.application.status);
        const units = sortedMap(Object.fromEntries(Object.entries(a.units).map(([u, s]) => [u, details(s)])));
        return call.out({ "application-status": { ...details(a.application), units } });
      }
      const s = host.unitStatus();
      if (!withData && smart) return call.out(s.status);
      return call.out(details(s));
    },
  },
  // status-set.go
  "status-set": {
    purpose: "set status information",
    args: "<maintenance | blocked | waiting | active> [message]",
    flags: () => ({ flags: { application: bool } }),
    run(call) {
      const { host, p } = call;
      const [status, message, ...extra] = p.args;
      if (status === undefined) throw usage("invalid args, require <status> [message]");
      if (!STATUSES.includes(status)) {
        throw usage(`invalid status ${goQuote(status)}, expected one of [${STATUSES.join(" ")}]`);
      }
      checkEmpty(extra);
      const application = p.values.get("application") === true;
      if (application && !host.isLeader()) throw new ToolError("this unit is not the leader");
      host.setStatus(application, { status, message: message ?? "" });
      return "";
    },
  },
  // application-version-set.go
  "application-version-set": {
    purpose: "specify which version of the application is deployed",
    args: "<new-version>",
    run(call) {
      if (call.p.args.length < 1) throw usage("no version specified");
      checkEmpty(call.p.args.slice(1));
      call.host.setWorkloadVersion(call.p.args[0]!);
      return "";
    },
  },
  // juju-log.go
  "juju-log": {
    purpose: "write a message to the juju log",
    args: "<message>",
    deprecatedFormat: true,
    flags: () => ({ flags: { debug: bool, "log-level": str }, aliases: { l: "log-level" } }),
    run(call) {
      const { host, p } = call;
      if (p.args.length === 0) throw usage("no message specified");
      deprecatedFormatWarning(call, "juju-log");
      let level = "INFO";
      if (p.values.get("debug") === true) level = "DEBUG";
      else {
        const asked = ((p.values.get("log-level") as string | undefined) ?? "INFO").toUpperCase();
        const known = asked === "WARN" ? "WARNING" : asked;
        if (LOG_LEVELS.includes(known)) level = known;
        else host.log("WARNING", `Specified log level of ${goQuote(asked)} is not valid`);
      }
      const rel = host.env.JUJU_RELATION_ID ? `${host.env.JUJU_RELATION_ID}: ` : "";
      host.log(level, `${rel}${p.args.join(" ")}`);
      return "";
    },
  },
  // action-get.go
  "action-get": {
    purpose: "Get action parameters.",
    args: "[<key>[.<key>.<key>...]]",
    output: SMART,
    run(call) {
      const { host, p } = call;
      if (p.args.length > 0) checkEmpty(p.args.slice(1));
      const a = host.action();
      if (!a) throw new ToolError("not running an action");
      if (p.args.length === 0) return call.out(a.params ?? {});
      let v: unknown = a.params;
      for (const part of p.args[0]!.split(".")) {
        v =
          v !== null && typeof v === "object" && !Array.isArray(v)
            ? (v as Record<string, unknown>)[part]
            : undefined;
      }
      return call.out(v ?? null);
    },
  },
  // action-set.go
  "action-set": {
    purpose: "Set action results.",
    args: "<key>=<value> [<key>=<value> ...]",
    run(call) {
      const results: Record<string, string> = {};
      for (const arg of call.p.args) {
        const eq = arg.indexOf("=");
        if (eq < 0) throw usage(`argument ${goQuote(arg)} must be of the form key...=value`);
        const key = arg.slice(0, eq);
        for (const part of key.split(".")) {
          if (!ACTION_KEY.test(part)) {
            throw usage(
              `key ${goQuote(part)} must start and end with lowercase alphanumeric, and contain only lowercase alphanumeric, hyphens and periods`,
            );
          }
          if (RESERVED_ACTION_KEYS.includes(part)) throw usage(`cannot set reserved action key "${part}"`);
        }
        results[key] = arg.slice(eq + 1);
      }
      notInAction(call.host);
      call.host.actionSet(results);
      return "";
    },
  },
  // action-log.go
  "action-log": {
    purpose: "Record a progress message for the current action.",
    args: "<message>",
    run(call) {
      if (call.p.args.length === 0) throw usage("no message specified");
      notInAction(call.host);
      call.host.actionLog(call.p.args.join(" "));
      return "";
    },
  },
  // action-fail.go
  "action-fail": {
    purpose: "Set action fail status with message.",
    args: '["<failure message>"]',
    run(call) {
      const message = call.p.args[0] ?? "action failed without reason given, check action for errors";
      checkEmpty(call.p.args.slice(1));
      notInAction(call.host);
      call.host.actionFail(message);
      return "";
    },
  },
  // network-get.go
  "network-get": {
    purpose: "get network config",
    args: "<binding-name> [--ingress-address] [--bind-address] [--egress-subnets]",
    output: SMART,
    flags: (host) =>
      merge(relationFlag(host), {
        flags: {
          "primary-address": bool,
          "bind-address": bool,
          "ingress-address": bool,
          "egress-subnets": bool,
        },
      }),
    run(call) {
      const { host, p } = call;
      if (p.args.length < 1) throw usage("no arguments specified");
      const binding = p.args[0]!;
      if (binding === "") throw usage("no binding name specified");
      const keys = (["bind-address", "ingress-address", "egress-subnets"] as const).filter(
        (k) => p.values.get(k) === true,
      );
      checkEmpty(p.args.slice(1));
      if (!host.endpoints.includes(binding)) {
        throw new ToolError(`no network config found for binding ${goQuote(binding)}`);
      }
      const a = host.address;
      const primary = p.values.get("primary-address") === true;
      if (!primary && keys.length === 0) {
        const format = (p.values.get("format") as string | undefined) ?? "smart";
        // The YAML form also carries the pre-Juju-3 duplicate names (networkInfoDisplay).
        const yamlish = format !== "json";
        const address = { hostname: "", value: a, cidr: `${a}/32`, ...(yamlish ? { address: a } : {}) };
        const info = {
          "mac-address": "",
          "interface-name": "eth0",
          addresses: [address],
          ...(yamlish ? { macaddress: "", interfacename: "eth0" } : {}),
        };
        return call.out({
          "bind-addresses": [info],
          "egress-subnets": [`${a}/32`],
          "ingress-addresses": [a],
        });
      }
      if (primary) {
        if (keys.length > 0) throw new ToolError("--primary-address must be the only flag specified");
        return call.out(a);
      }
      const values: Record<string, unknown> = {
        "bind-address": a,
        "egress-subnets": [`${a}/32`],
        "ingress-address": a,
      };
      if (keys.length === 1) return call.out(values[keys[0]!]);
      return call.out(sortedMap(Object.fromEntries(keys.map((k) => [k, values[k]]))));
    },
  },
  // ports.go
  "open-port": portTool(true),
  "close-port": portTool(false),
  // opened-ports.go
  "opened-ports": {
    purpose: "List all ports or port ranges opened by the unit.",
    output: SMART,
    flags: () => ({ flags: { endpoints: bool } }),
    run(call) {
      checkEmpty(call.p.args);
      const byRange = new Map<string, Set<string>>();
      for (const entry of call.host.openedPorts()) {
        const at = entry.indexOf("@");
        const range = at < 0 ? entry : entry.slice(0, at);
        const eps = byRange.get(range) ?? new Set<string>();
        eps.add(at < 0 ? "" : entry.slice(at + 1));
        byRange.set(range, eps);
      }
      const ports = sortPorts([...byRange.keys()]);
      if (call.p.values.get("endpoints") !== true) return call.out(ports);
      // opened-ports.go renderPortsWithEndpointDetails: "*" when open for all endpoints.
      return call.out(
        ports.map((range) => {
          const eps = byRange.get(range) ?? new Set<string>();
          return `${range} (${eps.has("") ? "*" : [...eps].sort().join(", ")})`;
        }),
      );
    },
  },
  // storage-list.go
  "storage-list": {
    purpose: "list storage attached to the unit",
    args: "[<storage-name>]",
    output: SMART,
    run(call) {
      const name = call.p.args[0];
      checkEmpty(call.p.args.slice(1));
      const ids = call.host
        .storage()
        .map((s) => s.id)
        .filter((id) => name === undefined || id.split("/")[0] === name);
      return call.out(ids);
    },
  },
  // storage-get.go
  "storage-get": {
    purpose: "print information for storage instance with specified id",
    args: "[<key>]",
    output: SMART,
    flags: (host) => ({
      flags: {
        s: {
          kind: "string",
          set: (v: string) => {
            if (!/^[a-z][a-z0-9-]*\/\d+$/.test(v)) throw new Error(`invalid storage ID ${goQuote(v)}`);
            if (!host.storage().some((x) => x.id === v)) throw new Error("storage not found");
            return v;
          },
        },
      },
    }),
    run(call) {
      const { host, p } = call;
      if (p.args.length > 1) checkEmpty(p.args.slice(1));
      const id = (p.values.get("s") as string | undefined) ?? host.env.JUJU_STORAGE_ID;
      if (!id) throw usage("no storage instance specified");
      const st = host.storage().find((s) => s.id === id);
      if (!st) throw new ToolError(`storage ${goQuote(id)} not found`);
      const info: Record<string, string> = { kind: "filesystem", location: st.location };
      const key = p.args[0];
      if (key === undefined) return call.out(info);
      if (!(key in info)) throw new ToolError(`invalid storage attribute ${goQuote(key)}`);
      return call.out(info[key]);
    },
  },
  "storage-add": {
    purpose: "add storage instances",
    args: "<charm storage name>[=count] ...",
    run(call) {
      if (call.p.args.length === 0) throw usage("storage add requires a storage directive");
      call.host.log(
        "WARNING",
        `storage-add ${call.p.args.join(" ")}: the local runtime has one instance per storage; ignored`,
      );
      return "";
    },
  },
  // state-get.go
  "state-get": {
    purpose: "print server-side-state value",
    args: "[<key>]",
    output: SMART,
    flags: () => ({ flags: { strict: bool } }),
    run(call) {
      const { host, p } = call;
      let key = p.args[0] ?? "";
      if (key === "-") key = "";
      if (p.args.length > 0) checkEmpty(p.args.slice(1));
      const st = host.stateGet();
      if (key === "") return call.out(Object.keys(st).length === 0 ? null : sortedMap(st));
      if (!(key in st)) {
        if (p.values.get("strict") === true) throw new ToolError(`${goQuote(key)} not found`);
        return call.out("");
      }
      return call.out(st[key]);
    },
  },
  // state-set.go
  "state-set": {
    purpose: "set server-side-state values",
    args: "key=value [key=value ...]",
    flags: () => ({ flags: { file: str } }),
    run(call) {
      const overrides = keyValues(call.p.args);
      const file = call.p.values.get("file") as string | undefined;
      const values = file ? { ...readSettings(call.req, file), ...overrides } : overrides;
      for (const [k, v] of Object.entries(values)) {
        // quota.CheckTupleSize with MaxCharmStateKeySize and MaxCharmStateValueSize.
        if (Buffer.byteLength(k) > 256) throw new ToolError(`max allowed key length (256) exceeded`);
        if (Buffer.byteLength(v) > 65536) throw new ToolError(`max allowed value length (65536) exceeded`);
      }
      call.host.stateSet(values);
      return "";
    },
  },
  // state-delete.go
  "state-delete": {
    purpose: "delete server-side-state key value pair",
    args: "<key>",
    run(call) {
      const key = call.p.args[0] ?? "";
      checkEmpty(call.p.args.slice(1));
      if (key !== "") call.host.stateSet({ [key]: null });
      return "";
    },
  },
  // goal-state.go
  "goal-state": {
    purpose: "print the status of the charm's peers and related units",
    output: YAML_JSON,
    run(call) {
      checkEmpty(call.p.args);
      return call.out(goalStateShape(call.host.goalState()));
    },
  },
  // credential-get.go
  "credential-get": {
    purpose: "access cloud credentials",
    output: SMART,
    run(call) {
      checkEmpty(call.p.args);
      const spec = call.host.cloudSpec?.();
      if (spec === undefined) throw new ToolError("cannot access cloud credentials: permission denied");
      return call.out(spec);
    },
  },
  // reboot.go
  "juju-reboot": {
    purpose: "Reboot the host machine.",
    flags: () => ({ flags: { now: bool } }),
    run(call) {
      checkEmpty(call.p.args);
      if (call.host.action()) throw new ToolError("juju-reboot is not supported when running an action.");
      const now = call.p.values.get("now") === true;
      if (call.host.requestReboot) call.host.requestReboot(now);
      else
        call.host.log(
          "WARNING",
          `juju-reboot${now ? " --now" : ""}: a Kubernetes unit has no machine to reboot`,
        );
      return "";
    },
  },
  // leader-get.go (still registered by Juju 3.6's jujuc)
  "leader-get": {
    purpose: "print application leadership settings",
    args: "[<key>]",
    output: SMART,
    run(call) {
      let key = call.p.args[0] ?? "";
      if (key === "-") key = "";
      else if (key.includes("=")) throw usage(`invalid key ${goQuote(key)}`);
      if (call.p.args.length > 0) checkEmpty(call.p.args.slice(1));
      const settings = call.host.leaderSettings?.() ?? {};
      if (key === "") return call.out(sortedMap(settings));
      return call.out(key in settings ? settings[key] : null);
    },
  },
  // leader-set.go
  "leader-set": {
    purpose: "Write application leadership settings.",
    args: "<key>=<value> [...]",
    run(call) {
      const settings = keyValues(call.p.args);
      if (!call.host.isLeader()) {
        throw new ToolError("cannot write leadership settings: cannot write settings: not the leader");
      }
      call.host.writeLeaderSettings?.(settings);
      return "";
    },
  },
  // resource-get.go
  "resource-get": {
    purpose: "Get the path to the locally cached resource file.",
    args: "<resource name>",
    run(call) {
      if (call.p.args.length < 1) throw usage("missing required resource name");
      checkEmpty(call.p.args.slice(1));
      const name = call.p.args[0]!;
      try {
        if (!call.host.resourcePath) throw new Error(`resource ${goQuote(name)} not found`);
        return call.host.resourcePath(name);
      } catch (e) {
        throw new ToolError(`could not download resource: ${(e as Error).message}`);
      }
    },
  },
  // unit-get.go
  "unit-get": {
    purpose: "print public-address or private-address",
    args: "<setting>",
    output: SMART,
    run(call) {
      const key = call.p.args[0];
      if (key === undefined) throw usage("no setting specified");
      if (key !== "private-address" && key !== "public-address")
        throw usage(`unknown setting ${goQuote(key)}`);
      checkEmpty(call.p.args.slice(1));
      return call.out(call.host.address);
    },
  },
  // secret-add.go
  "secret-add": {
    purpose: "Add a new secret.",
    args: "[key[#base64|#file]=value...]",
    flags: () => UPSERT_FLAGS,
    run(call) {
      const { host, p } = call;
      const file = p.values.get("file") as string | undefined;
      if (p.args.length < 1 && !file) throw usage("missing secret value or filename");
      const meta = upsertMeta(call);
      const content = secretData(call, p.args, file);
      if (Object.keys(content).length === 0) throw new ToolError("empty secret value not valid");
      const ownerKind = (p.values.get("owner") as "application" | "unit" | undefined) ?? "application";
      if (ownerKind === "application" && !host.isLeader()) throw new ToolError("this unit is not the leader");
      const id = host.newSecretId();
      const rec: SecretRecord = {
        id,
        owner: ownerKind === "unit" ? host.unit : host.app,
        ownerKind,
        label: meta.label,
        description: meta.description,
        expire: meta.expire,
        rotate: meta.rotate,
        rotates: nextRotation(meta.rotate),
        revisions: [{ revision: 1, content }],
        grants: {},
        consumers: {},
      };
      host.mutateSecrets((s) => {
        s[id] = rec;
      });
      return `secret://${host.modelUuid}/${id}\n`;
    },
  },
  // secret-set.go
  "secret-set": {
    purpose: "Update an existing secret.",
    args: "<ID> [key[#base64]=value...]",
    flags: () => UPSERT_FLAGS,
    run(call) {
      const { host, p } = call;
      if (p.args.length < 1) throw usage("missing secret URI");
      const id = secretUriArg(p.args[0]!);
      const meta = upsertMeta(call);
      const content = secretData(call, p.args.slice(1), p.values.get("file") as string | undefined);
      const s = host.secrets()[id];
      if (!s) throw new ToolError(`secret ${goQuote(id)} not found`);
      requireManage(host, s);
      host.mutateSecrets((all) => {
        const x = all[id];
        if (!x) return;
        if (meta.label !== undefined) x.label = meta.label;
        if (meta.description !== undefined) x.description = meta.description;
        if (meta.expire !== undefined) x.expire = meta.expire;
        if (meta.rotate !== undefined && meta.rotate !== x.rotate) {
          x.rotate = meta.rotate;
          x.rotates = nextRotation(meta.rotate);
        }
        const last = x.revisions[x.revisions.length - 1];
        const same = last && JSON.stringify(sortedMap(last.content)) === JSON.stringify(sortedMap(content));
        if (Object.keys(content).length > 0 && !same) {
          x.revisions.push({ revision: (last?.revision ?? 0) + 1, content });
        }
      });
      return "";
    },
  },
  // secret-get.go
  "secret-get": {
    purpose: "Get the content of a secret.",
    args: "<ID> [key[#base64]]",
    output: YAML_JSON,
    flags: () => ({ flags: { label: str, peek: bool, refresh: bool } }),
    run(call) {
      const { host, p } = call;
      const args = [...p.args];
      const id = args.length > 0 ? secretUriArg(args.shift()!) : undefined;
      const label = (p.values.get("label") as string | undefined) || undefined;
      if (id === undefined && label === undefined) throw usage("require either a secret URI or label");
      const peek = p.values.get("peek") === true;
      const refresh = p.values.get("refresh") === true;
      if (peek && refresh) throw usage("specify one of --peek or --refresh but not both");
      const key = args.shift();
      checkEmpty(args);
      const all = host.secrets();
      let s: SecretRecord | undefined;
      if (id !== undefined) s = all[id];
      else {
        s =
          ownedSecrets(host).find((x) => x.label === label) ??
          Object.values(all).find((x) => x.consumers[host.unit]?.label === label);
      }
      if (!s) throw new ToolError(`secret ${goQuote(id ?? label ?? "")} not found`);
      const latest = s.revisions[s.revisions.length - 1];
      if (!latest) throw new ToolError(`secret ${goQuote(s.id)} not found`);
      let content: Record<string, string>;
      if (isOwner(host, s)) {
        content = latest.content;
      } else {
        if (!isGranted(host, s)) throw new ToolError("permission denied");
        const tracked = s.consumers[host.unit];
        const track = !tracked || refresh ? latest.revision : tracked.revision;
        const newLabel = id !== undefined && label !== undefined ? label : tracked?.label;
        if (!tracked || refresh || newLabel !== tracked.label) {
          const sid = s.id;
          host.mutateSecrets((x) => {
            const r = x[sid];
            if (r) r.consumers[host.unit] = { revision: track, label: newLabel };
          });
        }
        const rev = peek ? latest.revision : track;
        const found = s.revisions.find((r) => r.revision === rev)?.content;
        if (!found) throw new ToolError(`secret ${goQuote(s.id)} revision ${rev} not found`);
        content = found;
      }
      if (key === undefined) return call.out(sortedMap(content));
      const b64 = key.endsWith("#base64");
      const k = b64 ? key.slice(0, -7) : key;
      if (!(k in content)) throw new ToolError(`secret key ${goQuote(k)} not found`);
      return call.out(b64 ? Buffer.from(content[k]!).toString("base64") : content[k]);
    },
  },
  // secret-info-get.go
  "secret-info-get": {
    purpose: "Get a secret's metadata info.",
    args: "<ID>",
    output: YAML_JSON,
    flags: () => ({ flags: { label: str } }),
    run(call) {
      const { host, p } = call;
      const args = [...p.args];
      const id = args.length > 0 ? secretUriArg(args.shift()!) : undefined;
      const label = (p.values.get("label") as string | undefined) || undefined;
      if (id === undefined && label === undefined) throw usage("require either a secret URI or label");
      if (id !== undefined && label !== undefined)
        throw usage("specify either a secret URI or label but not both");
      checkEmpty(args);
      const s = ownedSecrets(host).find((x) => (id !== undefined ? x.id === id : x.label === label));
      if (!s) throw new ToolError(`secret ${goQuote(id ?? label ?? "")} not found`);
      const info: Record<string, unknown> = {
        revision: s.revisions[s.revisions.length - 1]?.revision ?? 0,
        label: s.label ?? "",
        owner: s.ownerKind,
      };
      if (s.description) info.description = s.description;
      if (s.rotate) info.rotation = s.rotate;
      if (s.expire) info.expiry = s.expire;
      if (s.rotates) info.rotates = s.rotates;
      const access = Object.entries(s.grants).flatMap(([rel, names]) => {
        const r = host.relation(Number(rel));
        const scope = r ? `relation-${r.endpoint}.${r.id}` : `relation-${rel}`;
        return names.map((n) => ({
          target: n.includes("/") ? `unit-${n.replace("/", "-")}` : `application-${n}`,
          scope,
          role: "view",
        }));
      });
      if (access.length > 0) info.access = access;
      return call.out({ [s.id]: info });
    },
  },
  // secret-grant.go, secret-revoke.go
  "secret-grant": grantOrRevoke(true),
  "secret-revoke": grantOrRevoke(false),
  // secret-remove.go
  "secret-remove": {
    purpose: "Remove a existing secret.",
    args: "<ID>",
    flags: () => ({
      flags: {
        revision: {
          kind: "string",
          set: (v: string) => {
            const n = atoi(v);
            if (n < 1) throw new Error(`secret revision ${n} not valid`);
            return n;
          },
        },
      },
    }),
    run(call) {
      const { host, p } = call;
      if (p.args.length < 1) throw usage("missing secret URI");
      const id = secretUriArg(p.args[0]!);
      checkEmpty(p.args.slice(1));
      const s = host.secrets()[id];
      requireManage(host, s);
      if (!s) throw new ToolError(`secret ${goQuote(id)} not found`);
      const rev = p.values.get("revision") as number | undefined;
      host.mutateSecrets((all) => {
        if (rev === undefined) delete all[id];
        else {
          const x = all[id];
          if (x) x.revisions = x.revisions.filter((r) => r.revision !== rev);
        }
      });
      return "";
    },
  },
  // secret-ids.go
  "secret-ids": {
    purpose: "Print secret IDs.",
    output: SMART,
    run(call) {
      checkEmpty(call.p.args);
      const ids = ownedSecrets(call.host)
        .map((s) => s.id)
        .sort();
      return call.out(ids.length === 0 ? null : ids);
    },
  },
};

function helpText(name: string, tool: Tool): string {
  return `Usage: ${name} [options]${tool.args ? ` ${tool.args}` : ""}\n\nSummary:\n${tool.purpose}\n`;
}

/** Runs one tool call against `host`; never throws. */
export function runTool(host: ToolHost, req: ToolRequest): ToolReply {
  const tool = (TOOLS as Record<string, Tool>)[req.tool];
  if (!tool) return { code: 1, stdout: "", stderr: `ERROR unknown hook tool "${req.tool}"\n` };
  let stderr = "";
  try {
    const specs: FlagSpec[] = [];
    if (tool.flags) specs.push(tool.flags(host));
    if (tool.output) specs.push({ flags: outputFlags(tool.output.formats) });
    else if (tool.deprecatedFormat) specs.push({ flags: { format: str } });
    const p = parseArgs(req.args, merge(...specs));
    if (p.help) return { code: 0, stdout: helpText(req.tool, tool), stderr: "" };
    const call: Call = {
      host,
      req,
      p,
      warn: (text) => {
        stderr += text;
      },
      out: (value) => writeOutput(p, tool.output?.default ?? "smart", value, req.cwd),
    };
    return { code: 0, stdout: tool.run(call), stderr };
  } catch (e) {
    if (e instanceof ToolError) return { code: e.code, stdout: "", stderr: `${stderr}ERROR ${e.message}\n` };
    return { code: 1, stdout: "", stderr: `${stderr}ERROR ${(e as Error).message}\n` };
  }
}
