/**
 * The hook tools' behaviour: Juju's argument syntax in, Juju's output, `ERROR <text>` messages and
 * exit codes out. Everything about the model goes through `ToolHost`, which the controller
 * implements per running hook (with the hook's write buffer), so this file has no state of its own.
 */
import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import type { ToolReply, ToolRequest } from "./wire.js";

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

/** One secret, as kept by the model. */
export interface SecretRecord {
  id: string;
  owner: string;
  ownerKind: "application" | "unit";
  label?: string | undefined;
  description?: string | undefined;
  expire?: string | undefined;
  rotate?: string | undefined;
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
  /** Endpoint name to whether it is declared (for bindings and relation-ids). */
  readonly endpoints: readonly string[];
  isLeader(): boolean;
  config(): Record<string, unknown>;
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
  openedPorts(): string[];
  setPort(open: boolean, spec: string): void;
  storage(): { id: string; location: string }[];
  stateGet(): Record<string, string>;
  stateSet(updates: Readonly<Record<string, string>>): void;
  /** Secrets as this hook sees them; `mutate` changes them in the hook's buffer. */
  secrets(): Readonly<Record<string, SecretRecord>>;
  mutateSecrets(fn: (s: Record<string, SecretRecord>) => void): void;
  newSecretId(): string;
  goalState(): unknown;
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
  "goal-state",
  "is-leader",
  "juju-log",
  "network-get",
  "open-port",
  "opened-ports",
  "relation-get",
  "relation-ids",
  "relation-list",
  "relation-model-get",
  "relation-set",
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
] as const;

/** A tool failure: printed as `ERROR <message>` with `code` (2 for flag and argument errors). */
export class ToolError extends Error {
  constructor(
    message: string,
    readonly code = 1,
  ) {
    super(message);
    this.name = "ToolError";
  }
}

interface FlagSpec {
  /** Flags taking a value: canonical name to aliases (e.g. `relation: ["r"]`). */
  readonly values?: Readonly<Record<string, readonly string[]>>;
  /** Boolean flags (accept `--x`, `--x=true|false|True|False`). */
  readonly bools?: Readonly<Record<string, readonly string[]>>;
}

interface Parsed {
  readonly values: Record<string, string>;
  readonly bools: Record<string, boolean>;
  readonly args: string[];
}

const COMMON_VALUES = { format: [] as string[], output: ["o"] };

/** Parses Go-style flags (`-r x`, `--relation=x`, `--app`), stopping at `--`. */
export function parseFlags(argv: readonly string[], spec: FlagSpec): Parsed {
  const values: Record<string, string> = {};
  const bools: Record<string, boolean> = {};
  const args: string[] = [];
  const valueNames = new Map<string, string>();
  const boolNames = new Map<string, string>();
  for (const [k, al] of Object.entries({ ...COMMON_VALUES, ...spec.values })) {
    valueNames.set(k, k);
    for (const a of al) valueNames.set(a, k);
  }
  for (const [k, al] of Object.entries(spec.bools ?? {})) {
    boolNames.set(k, k);
    for (const a of al) boolNames.set(a, k);
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      args.push(a);
      continue;
    }
    const body = a.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const inline = eq >= 0 ? body.slice(eq + 1) : undefined;
    const vName = valueNames.get(name);
    const bName = boolNames.get(name);
    if (vName) {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new ToolError(`flag needs an argument: ${a}`, 2);
      values[vName] = v;
    } else if (bName) {
      if (inline === undefined) bools[bName] = true;
      else if (/^(true|1)$/i.test(inline)) bools[bName] = true;
      else if (/^(false|0)$/i.test(inline)) bools[bName] = false;
      else throw new ToolError(`invalid boolean value "${inline}" for flag ${a}`, 2);
    } else {
      throw new ToolError(`option provided but not defined: ${a}`, 2);
    }
  }
  return { values, bools, args };
}

function out(value: unknown, format: string | undefined): string {
  if (format === "json") return `${JSON.stringify(value)}\n`;
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return `${value}\n`;
  if (typeof value === "boolean" || typeof value === "number") return `${String(value)}\n`;
  return stringifyYaml(value);
}

function checkFormat(p: Parsed): string | undefined {
  const f = p.values.format;
  if (f !== undefined && !["json", "yaml", "smart"].includes(f)) {
    throw new ToolError(`invalid value "${f}" for option --format: unknown format "${f}"`, 2);
  }
  return f;
}

function relationArg(host: ToolHost, p: Parsed, flag = "-r"): RelationView {
  const raw = p.values.relation ?? host.env.JUJU_RELATION_ID;
  if (raw === undefined || raw === "") throw new ToolError(`no relation id specified`, 2);
  const m = /^(?:([a-z0-9-]+):)?(\d+)$/i.exec(raw);
  const rel = m ? host.relation(Number(m[2])) : undefined;
  if (!m || !rel || (m[1] !== undefined && m[1] !== rel.endpoint)) {
    throw new ToolError(`invalid value "${raw}" for option ${flag}: relation not found`, 2);
  }
  return rel;
}

function readDataFile(host: ToolHost, req: ToolRequest, file: string): Record<string, string> {
  let text: string;
  if (file === "-") text = req.stdin.toString();
  else {
    try {
      text = readFileSync(isAbsolute(file) ? file : resolve(req.cwd, file), "utf8");
    } catch (e) {
      throw new ToolError(`cannot read ${file}: ${(e as Error).message}`);
    }
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new ToolError(`cannot parse settings: ${(e as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) throw new ToolError("expected a map of settings");
  const res: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc)) {
    if (v === null || v === undefined) res[k] = "";
    else if (typeof v === "object") throw new ToolError(`value of "${k}" must be a string`);
    else res[k] = String(v);
  }
  void host;
  return res;
}

function keyValues(args: readonly string[]): Record<string, string> {
  const res: Record<string, string> = {};
  for (const a of args) {
    const eq = a.indexOf("=");
    if (eq <= 0) throw new ToolError(`expected "key=value", got "${a}"`, 2);
    res[a.slice(0, eq)] = a.slice(eq + 1);
  }
  return res;
}

const STATUSES = ["maintenance", "blocked", "waiting", "active"];
const ACTION_KEY = /^[a-z0-9](([a-z0-9-.]+)?[a-z0-9])?$/;
const PORT_RE = /^(?:icmp|(\d+)(?:-(\d+))?(?:\/(tcp|udp))?)$/;

function normalizePort(spec: string): string {
  const m = PORT_RE.exec(spec);
  if (!m) throw new ToolError(`invalid port range "${spec}"`, 2);
  if (spec === "icmp") return "icmp";
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from < 1 || to > 65535 || to < from) throw new ToolError(`invalid port range "${spec}"`, 2);
  return `${from === to ? from : `${from}-${to}`}/${m[3] ?? "tcp"}`;
}

function bareSecretId(raw: string): string {
  return raw.replace(/^secret:(\/\/[^/]*\/)?/, "");
}

function findSecret(host: ToolHost, id: string | undefined, label: string | undefined): SecretRecord {
  const all = host.secrets();
  if (id !== undefined) {
    const s = all[bareSecretId(id)];
    if (!s) throw new ToolError(`secret "${bareSecretId(id)}" not found`);
    return s;
  }
  if (label !== undefined) {
    const s = Object.values(all).find(
      (x) => (isOwner(host, x) && x.label === label) || x.consumers[host.unit]?.label === label,
    );
    if (!s) throw new ToolError(`secret with label "${label}" not found`);
    return s;
  }
  throw new ToolError("secret URI or label must be specified", 2);
}

function isOwner(host: ToolHost, s: SecretRecord): boolean {
  return s.ownerKind === "unit" ? s.owner === host.unit : s.owner === host.app;
}

function requireManage(host: ToolHost, s: SecretRecord): void {
  if (!isOwner(host, s) || (s.ownerKind === "application" && !host.isLeader())) {
    throw new ToolError("permission denied");
  }
}

function isGranted(host: ToolHost, s: SecretRecord): boolean {
  return Object.entries(s.grants).some(
    ([rel, names]) =>
      host.relation(Number(rel)) !== undefined && (names.includes(host.app) || names.includes(host.unit)),
  );
}

function secretContent(host: ToolHost, args: readonly string[], cwd: string): Record<string, string> {
  const res: Record<string, string> = {};
  for (const a of args) {
    const eq = a.indexOf("=");
    if (eq <= 0) throw new ToolError(`expected "key=value", got "${a}"`, 2);
    let key = a.slice(0, eq);
    let value = a.slice(eq + 1);
    if (key.endsWith("#file")) {
      key = key.slice(0, -5);
      try {
        value = readFileSync(isAbsolute(value) ? value : resolve(cwd, value), "utf8");
      } catch (e) {
        throw new ToolError(`cannot read ${value}: ${(e as Error).message}`);
      }
    } else if (key.endsWith("#base64")) {
      key = key.slice(0, -7);
      value = Buffer.from(value, "base64").toString();
    }
    if (!/^[a-z](?:-?[a-z0-9])*$/.test(key)) throw new ToolError(`invalid secret key "${key}"`, 2);
    res[key] = value;
  }
  void host;
  return res;
}

const SECRET_META = { label: [], description: [], expire: [], rotate: [], owner: [] } as const;

type Impl = (host: ToolHost, req: ToolRequest) => string;

const TOOLS: Record<(typeof TOOL_NAMES)[number], Impl> = {
  "relation-ids": (host, req) => {
    const p = parseFlags(req.args, {});
    const f = checkFormat(p);
    const ep = p.args[0] ?? host.env.JUJU_RELATION;
    if (!ep) throw new ToolError("no endpoint name specified", 2);
    if (!host.endpoints.includes(ep))
      throw new ToolError(`invalid value "${ep}" for argument: endpoint not found`, 2);
    return out(
      host.relationIds(ep).map((id) => `${ep}:${id}`),
      f,
    );
  },
  "relation-list": (host, req) => {
    const p = parseFlags(req.args, { values: { relation: ["r"] }, bools: { app: [] } });
    const f = checkFormat(p);
    const rel = relationArg(host, p);
    return out(p.bools.app ? rel.remoteApp : rel.units, f);
  },
  "relation-get": (host, req) => {
    const p = parseFlags(req.args, { values: { relation: ["r"] }, bools: { app: [] } });
    const f = checkFormat(p);
    const rel = relationArg(host, p);
    const key = p.args[0] ?? "-";
    let owner = p.args[1];
    if (owner === undefined) {
      owner = p.bools.app ? host.env.JUJU_REMOTE_APP : host.env.JUJU_REMOTE_UNIT;
      if (!owner) throw new ToolError(p.bools.app ? "no application specified" : "no unit id specified", 2);
    }
    const isApp = !owner.includes("/");
    if (p.bools.app && !isApp) throw new ToolError(`invalid application name "${owner}"`, 2);
    if (isApp && owner === host.app && !rel.peer && !host.isLeader())
      throw new ToolError("permission denied");
    const bag = host.readBag(rel.id, owner);
    if (!bag) {
      throw new ToolError(
        `cannot read settings for ${isApp ? "application" : "unit"} "${owner}" in relation "${rel.endpoint}:${rel.id}": settings not found`,
      );
    }
    const sorted = Object.fromEntries(Object.entries(bag).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return out(key === "-" ? sorted : (bag[key] ?? ""), f);
  },
  "relation-set": (host, req) => {
    const p = parseFlags(req.args, { values: { relation: ["r"], file: [] }, bools: { app: [] } });
    const rel = relationArg(host, p);
    const updates = {
      ...(p.values.file !== undefined ? readDataFile(host, req, p.values.file) : {}),
      ...keyValues(p.args),
    };
    if (p.bools.app && !host.isLeader()) throw new ToolError("permission denied");
    host.writeBag(rel.id, p.bools.app ? host.app : host.unit, updates);
    return "";
  },
  "relation-model-get": (host, req) => {
    const p = parseFlags(req.args, { values: { relation: ["r"] } });
    const f = checkFormat(p);
    relationArg(host, p);
    return out({ uuid: host.modelUuid }, f);
  },
  "config-get": (host, req) => {
    const p = parseFlags(req.args, { bools: { all: ["a"] } });
    const f = checkFormat(p);
    const cfg = host.config();
    const key = p.args[0];
    return out(key === undefined ? cfg : (cfg[key] ?? null), f);
  },
  "is-leader": (host, req) => out(host.isLeader(), checkFormat(parseFlags(req.args, {}))),
  "status-get": (host, req) => {
    const p = parseFlags(req.args, { bools: { "include-data": [], application: [] } });
    const f = checkFormat(p);
    const withData = (s: StatusValue) => ({ message: s.message, status: s.status, "status-data": {} });
    if (p.bools.application) {
      if (!host.isLeader()) throw new ToolError("finding application status: this unit is not the leader");
      const a = host.appStatus();
      return out(
        {
          "application-status": withData(a.application),
          units: Object.fromEntries(Object.entries(a.units).map(([u, s]) => [u, withData(s)])),
        },
        f,
      );
    }
    const s = host.unitStatus();
    return out(p.bools["include-data"] || f === "json" ? withData(s) : s.status, f);
  },
  "status-set": (host, req) => {
    const p = parseFlags(req.args, { bools: { application: [] } });
    const [status, ...rest] = p.args;
    if (status === undefined) throw new ToolError("invalid args, require <status> [message] [data]", 2);
    if (!STATUSES.includes(status)) {
      throw new ToolError(`invalid status "${status}", expected one of [${STATUSES.join(" ")}]`, 2);
    }
    if (p.bools.application && !host.isLeader()) {
      throw new ToolError("setting application status: this unit is not the leader");
    }
    host.setStatus(p.bools.application === true, { status, message: rest.join(" ") });
    return "";
  },
  "application-version-set": (host, req) => {
    const p = parseFlags(req.args, {});
    if (p.args.length !== 1) throw new ToolError("no version specified", 2);
    host.setWorkloadVersion(p.args[0]!);
    return "";
  },
  "juju-log": (host, req) => {
    const p = parseFlags(req.args, { values: { "log-level": ["l"] }, bools: { debug: [] } });
    if (p.args.length === 0) throw new ToolError("no message specified", 2);
    host.log(p.bools.debug ? "DEBUG" : (p.values["log-level"] ?? "INFO").toUpperCase(), p.args.join(" "));
    return "";
  },
  "action-get": (host, req) => {
    const p = parseFlags(req.args, {});
    const f = checkFormat(p);
    const a = host.action();
    if (!a) throw new ToolError("not running an action");
    const key = p.args[0];
    if (key === undefined) return out(a.params, f);
    let v: unknown = a.params;
    for (const part of key.split("."))
      v = v && typeof v === "object" ? (v as Record<string, unknown>)[part] : undefined;
    return out(v ?? null, f);
  },
  "action-set": (host, req) => {
    const p = parseFlags(req.args, {});
    if (!host.action()) throw new ToolError("not running an action");
    const kv = keyValues(p.args);
    for (const k of Object.keys(kv)) {
      for (const part of k.split(".")) {
        if (!ACTION_KEY.test(part)) {
          throw new ToolError(
            `key "${k}" must start and end with lowercase alphanumeric, and contain only lowercase alphanumeric, hyphens and periods`,
            2,
          );
        }
      }
    }
    host.actionSet(kv);
    return "";
  },
  "action-log": (host, req) => {
    const p = parseFlags(req.args, {});
    if (!host.action()) throw new ToolError("not running an action");
    if (p.args.length === 0) throw new ToolError("no message specified", 2);
    host.actionLog(p.args.join(" "));
    return "";
  },
  "action-fail": (host, req) => {
    const p = parseFlags(req.args, {});
    if (!host.action()) throw new ToolError("not running an action");
    host.actionFail(p.args.join(" ") || "action failed without reason given, check action for errors");
    return "";
  },
  "network-get": (host, req) => {
    const p = parseFlags(req.args, {
      values: { relation: ["r"] },
      bools: { "bind-address": [], "ingress-address": [], "egress-subnets": [], "primary-address": [] },
    });
    const f = checkFormat(p);
    if (p.values.relation !== undefined) relationArg(host, p);
    const binding = p.args[0];
    if (binding === undefined) throw new ToolError("no arguments specified", 2);
    if (!host.endpoints.includes(binding))
      throw new ToolError(`no network config found for binding "${binding}"`);
    const a = host.address;
    if (p.bools["ingress-address"]) return out(a, f);
    if (p.bools["egress-subnets"]) return out(`${a}/32`, f);
    if (p.bools["bind-address"] || p.bools["primary-address"]) return out(a, f);
    return out(
      {
        "bind-addresses": [
          {
            "mac-address": "",
            "interface-name": "lo",
            addresses: [{ hostname: "", value: a, cidr: `${a}/32`, address: a }],
            macaddress: "",
            interfacename: "lo",
          },
        ],
        "egress-subnets": [`${a}/32`],
        "ingress-addresses": [a],
      },
      f,
    );
  },
  "open-port": (host, req) => {
    const p = parseFlags(req.args, { values: { endpoints: [] } });
    if (p.args.length !== 1) throw new ToolError("expected a single port or range", 2);
    host.setPort(true, normalizePort(p.args[0]!));
    return "";
  },
  "close-port": (host, req) => {
    const p = parseFlags(req.args, { values: { endpoints: [] } });
    if (p.args.length !== 1) throw new ToolError("expected a single port or range", 2);
    host.setPort(false, normalizePort(p.args[0]!));
    return "";
  },
  "opened-ports": (host, req) =>
    out(host.openedPorts(), checkFormat(parseFlags(req.args, { bools: { endpoints: [] } }))),
  "storage-list": (host, req) => {
    const p = parseFlags(req.args, {});
    const f = checkFormat(p);
    const name = p.args[0];
    return out(
      host
        .storage()
        .map((s) => s.id)
        .filter((id) => name === undefined || id.split("/")[0] === name),
      f,
    );
  },
  "storage-get": (host, req) => {
    const p = parseFlags(req.args, { values: { s: [] } });
    const f = checkFormat(p);
    const id = p.values.s ?? host.env.JUJU_STORAGE_ID;
    if (!id) throw new ToolError("no storage instance specified", 2);
    const st = host.storage().find((s) => s.id === id);
    if (!st) throw new ToolError(`invalid value "${id}" for option -s: storage not found`, 2);
    const info = { kind: "filesystem", location: st.location };
    const key = p.args[0];
    return out(key === undefined ? info : ((info as Record<string, string>)[key] ?? null), f);
  },
  "storage-add": (host, req) => {
    const p = parseFlags(req.args, {});
    if (p.args.length === 0) throw new ToolError("storage add requires a storage directive", 2);
    host.log(
      "WARNING",
      `storage-add ${p.args.join(" ")}: the local runtime has one instance per storage; ignored`,
    );
    return "";
  },
  "state-get": (host, req) => {
    const p = parseFlags(req.args, {});
    const f = checkFormat(p);
    const st = host.stateGet();
    const key = p.args[0];
    if (key === undefined) return out(f === "json" && Object.keys(st).length === 0 ? null : st, f);
    return out(st[key] ?? null, f);
  },
  "state-set": (host, req) => {
    const p = parseFlags(req.args, { values: { file: [] } });
    const updates = {
      ...(p.values.file !== undefined ? readDataFile(host, req, p.values.file) : {}),
      ...keyValues(p.args),
    };
    host.stateSet(updates);
    return "";
  },
  "state-delete": (host, req) => {
    const p = parseFlags(req.args, {});
    if (p.args.length !== 1) throw new ToolError("expected a single key", 2);
    host.stateSet({ [p.args[0]!]: "" });
    return "";
  },
  "goal-state": (host, req) => out(host.goalState(), checkFormat(parseFlags(req.args, {}))),
  "secret-add": (host, req) => {
    const p = parseFlags(req.args, { values: SECRET_META });
    const ownerKind = (p.values.owner ?? "application") as "application" | "unit";
    if (ownerKind !== "application" && ownerKind !== "unit") {
      throw new ToolError(`invalid value "${ownerKind}" for option --owner`, 2);
    }
    if (ownerKind === "application" && !host.isLeader()) throw new ToolError("permission denied");
    const content = secretContent(host, p.args, req.cwd);
    if (Object.keys(content).length === 0) throw new ToolError("missing secret value", 2);
    const id = host.newSecretId();
    const rec: SecretRecord = {
      id,
      owner: ownerKind === "unit" ? host.unit : host.app,
      ownerKind,
      label: p.values.label,
      description: p.values.description,
      expire: p.values.expire,
      rotate: p.values.rotate,
      revisions: [{ revision: 1, content }],
      grants: {},
      consumers: {},
    };
    host.mutateSecrets((s) => {
      s[id] = rec;
    });
    return `secret://${host.modelUuid}/${id}\n`;
  },
  "secret-get": (host, req) => {
    const p = parseFlags(req.args, { values: { label: [] }, bools: { refresh: [], peek: [] } });
    const f = checkFormat(p);
    const s = findSecret(host, p.args[0], p.args[0] === undefined ? p.values.label : undefined);
    const latest = s.revisions[s.revisions.length - 1];
    if (!latest) throw new ToolError(`secret "${s.id}" not found`);
    if (isOwner(host, s)) {
      if (s.ownerKind === "application" && !host.isLeader() && !isGranted(host, s)) {
        // Non-leader units of the owning app may read it, as in Juju.
      }
      return out(latest.content, f);
    }
    if (!isGranted(host, s)) throw new ToolError("permission denied");
    const tracked = s.consumers[host.unit];
    let rev = tracked?.revision ?? latest.revision;
    if (p.bools.peek) rev = latest.revision;
    if (!tracked || p.bools.refresh || (p.args[0] !== undefined && p.values.label !== undefined)) {
      const newRev = !tracked || p.bools.refresh ? latest.revision : tracked.revision;
      const label = p.args[0] !== undefined && p.values.label !== undefined ? p.values.label : tracked?.label;
      host.mutateSecrets((all) => {
        const x = all[s.id];
        if (x) x.consumers[host.unit] = { revision: newRev, label };
      });
      if (!p.bools.peek) rev = newRev;
    }
    const content = s.revisions.find((r) => r.revision === rev)?.content;
    if (!content) throw new ToolError(`secret "${s.id}" revision ${rev} not found`);
    return out(content, f);
  },
  "secret-info-get": (host, req) => {
    const p = parseFlags(req.args, { values: { label: [] } });
    const f = checkFormat(p);
    if (p.args[0] !== undefined && p.values.label !== undefined) {
      throw new ToolError("specify either a secret URI or label but not both", 2);
    }
    const s = findSecret(host, p.args[0], p.values.label);
    if (!isOwner(host, s)) throw new ToolError("permission denied");
    const info: Record<string, unknown> = {
      revision: s.revisions[s.revisions.length - 1]?.revision ?? 0,
      owner: s.ownerKind,
      rotation: s.rotate ?? "never",
    };
    if (s.label !== undefined) info.label = s.label;
    if (s.description !== undefined) info.description = s.description;
    if (s.expire !== undefined) info.expiry = s.expire;
    return out({ [s.id]: info }, f);
  },
  "secret-set": (host, req) => {
    const p = parseFlags(req.args, { values: SECRET_META });
    const [id, ...rest] = p.args;
    const s = findSecret(host, id, undefined);
    requireManage(host, s);
    const content = secretContent(host, rest, req.cwd);
    host.mutateSecrets((all) => {
      const x = all[s.id];
      if (!x) return;
      if (p.values.label !== undefined) x.label = p.values.label;
      if (p.values.description !== undefined) x.description = p.values.description;
      if (p.values.expire !== undefined) x.expire = p.values.expire;
      if (p.values.rotate !== undefined) x.rotate = p.values.rotate;
      if (Object.keys(content).length > 0) {
        const last = x.revisions[x.revisions.length - 1]?.revision ?? 0;
        x.revisions.push({ revision: last + 1, content });
      }
    });
    return "";
  },
  "secret-grant": (host, req) => grantOrRevoke(host, req, true),
  "secret-revoke": (host, req) => grantOrRevoke(host, req, false),
  "secret-remove": (host, req) => {
    const p = parseFlags(req.args, { values: { revision: [] } });
    const s = findSecret(host, p.args[0], undefined);
    requireManage(host, s);
    const rev = p.values.revision === undefined ? undefined : Number(p.values.revision);
    host.mutateSecrets((all) => {
      if (rev === undefined) delete all[s.id];
      else {
        const x = all[s.id];
        if (x) x.revisions = x.revisions.filter((r) => r.revision !== rev);
      }
    });
    return "";
  },
  "secret-ids": (host, req) => {
    const f = checkFormat(parseFlags(req.args, {}));
    return out(
      Object.values(host.secrets())
        .filter((s) => isOwner(host, s))
        .map((s) => `secret:${s.id}`)
        .sort(),
      f,
    );
  },
};

function grantOrRevoke(host: ToolHost, req: ToolRequest, grant: boolean): string {
  const p = parseFlags(req.args, { values: { relation: ["r"], unit: [] }, bools: { app: [] } });
  const s = findSecret(host, p.args[0], undefined);
  requireManage(host, s);
  if (p.values.relation === undefined) throw new ToolError("missing relation", 2);
  const rel = relationArg(host, p, "--relation");
  const who = p.values.unit ?? rel.remoteApp;
  host.mutateSecrets((all) => {
    const x = all[s.id];
    if (!x) return;
    const key = String(rel.id);
    const cur = new Set(x.grants[key] ?? []);
    if (grant) cur.add(who);
    else cur.delete(who);
    x.grants[key] = [...cur].sort();
  });
  return "";
}

/** Runs one tool call against `host`; never throws. */
export function runTool(host: ToolHost, req: ToolRequest): ToolReply {
  const impl = (TOOLS as Record<string, Impl>)[req.tool];
  if (!impl) return { code: 1, stdout: "", stderr: `ERROR unknown hook tool "${req.tool}"\n` };
  try {
    return { code: 0, stdout: impl(host, req), stderr: "" };
  } catch (e) {
    if (e instanceof ToolError) return { code: e.code, stdout: "", stderr: `ERROR ${e.message}\n` };
    return { code: 1, stdout: "", stderr: `ERROR ${(e as Error).message}\n` };
  }
}
