/**
 * User and group resolution for services, exec and file ownership, with Pebble's rules: a group
 * needs a user, a name and an id given together must agree, and nothing given means "run as the
 * daemon's own user". Names are looked up in the host's /etc/passwd and /etc/group, which is what
 * isolated processes see (the runtime does not replace those files).
 */
import { readFileSync } from "node:fs";

/** What a request or layer entry says about the user. */
export interface UserSpec {
  user?: string | undefined;
  userId?: number | undefined;
  group?: string | undefined;
  groupId?: number | undefined;
}

/** A resolved identity. */
export interface Identity {
  uid: number;
  gid: number;
  name: string | undefined;
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

function readTable(path: string): string[][] {
  try {
    return readFileSync(path, "utf8")
      .split("\n")
      .filter((l) => l && !l.startsWith("#"))
      .map((l) => l.split(":"));
  } catch {
    return [];
  }
}

function passwd(): PasswdEntry[] {
  return readTable("/etc/passwd").map((f) => ({
    name: f[0] ?? "",
    uid: Number(f[2]),
    gid: Number(f[3]),
    home: f[5] || "/",
  }));
}

function groups(): { name: string; gid: number }[] {
  return readTable("/etc/group").map((f) => ({ name: f[0] ?? "", gid: Number(f[2]) }));
}

/**
 * Resolves a user/group spec. Returns undefined when no user is requested (the caller keeps the
 * daemon's identity).
 *
 * @throws Error with Pebble-like wording when names are unknown or inconsistent.
 */
export function resolveIdentity(spec: UserSpec): Identity | undefined {
  const { user, userId, group, groupId } = spec;
  if (user === undefined && userId === undefined) {
    if (group !== undefined || groupId !== undefined) throw new Error("must specify user, not just group");
    return undefined;
  }
  const table = passwd();
  let entry: PasswdEntry | undefined;
  if (user !== undefined) {
    entry = table.find((e) => e.name === user);
    if (!entry) throw new Error(`user: unknown user ${user}`);
    if (userId !== undefined && entry.uid !== userId) {
      throw new Error(`user "${user}" uid (${entry.uid}) does not match user-id (${userId})`);
    }
  } else {
    entry = table.find((e) => e.uid === userId);
  }
  const uid = entry?.uid ?? (userId as number);
  let gid = entry?.gid ?? uid;
  if (group !== undefined) {
    const g = groups().find((x) => x.name === group);
    if (!g) throw new Error(`group: unknown group ${group}`);
    if (groupId !== undefined && g.gid !== groupId) {
      throw new Error(`group "${group}" gid (${g.gid}) does not match group-id (${groupId})`);
    }
    gid = g.gid;
  } else if (groupId !== undefined) {
    gid = groupId;
  }
  return { uid, gid, name: entry?.name, home: entry?.home ?? "/" };
}

/** The home directory of the daemon's own user (root here), used as exec's default working dir. */
export function ownHome(): string {
  const uid = process.getuid?.() ?? 0;
  return passwd().find((e) => e.uid === uid)?.home ?? "/";
}
