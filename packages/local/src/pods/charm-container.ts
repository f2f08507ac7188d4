/**
 * The charm container of a pod: the filesystem a hook runs in, made with bubblewrap.
 *
 * A Kubernetes charm container runs Juju's charm base image (Ubuntu's /usr, /etc basics, python3,
 * no Node) with the charm at /var/lib/juju/agents/unit-<app>-<n>/charm, the hook tools in
 * /var/lib/juju/tools/unit-<app>-<n> and each workload's Pebble socket at
 * /charm/containers/<container>/pebble.socket. The local runtime builds the same view from the
 * host: the host's /usr without Node (a read-only overlay in which Node's files are whited out,
 * see {@link NodeFreeUsr}), a few /etc files, and the unit's own directories bound at Juju's
 * paths. Nothing else of the host is visible: no home directories, no project, no node_modules.
 * The hook runs as root with the capabilities a Kubernetes container gets by default, in its own
 * PID and IPC namespaces; the pod's network and UTS namespaces are entered before (nsenter).
 */
import { lstatSync, mkdirSync, readdirSync, readlinkSync, realpathSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { run } from "./sys.js";

/** Entries of the host's /etc that a charm base image has too (the rest stays hidden). */
export const ETC_ENTRIES: readonly string[] = [
  "alternatives",
  "ca-certificates",
  "ca-certificates.conf",
  "debian_version",
  "gai.conf",
  "group",
  "host.conf",
  "ld.so.cache",
  "ld.so.conf",
  "ld.so.conf.d",
  "localtime",
  "lsb-release",
  "mime.types",
  "nsswitch.conf",
  "os-release",
  "passwd",
  "protocols",
  "python3",
  "python3.11",
  "python3.12",
  "services",
  "ssl",
  "timezone",
];

/** The capabilities a Kubernetes container runs with by default (containerd's default set). */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  "CAP_AUDIT_WRITE",
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_MKNOD",
  "CAP_NET_BIND_SERVICE",
  "CAP_NET_RAW",
  "CAP_SETFCAP",
  "CAP_SETGID",
  "CAP_SETPCAP",
  "CAP_SETUID",
  "CAP_SYS_CHROOT",
];

/** File names that belong to a Node installation (binaries, module trees, headers, libnode). */
const NODE_NAME =
  /^(node|nodejs|npm|npx|corepack|node_modules|node-gyp|yarn|yarnpkg|pnpm|pnpx|libnode\.so(\..*)?)$/;

/** Directories of /usr where a distribution or NodeSource puts Node's files. */
function nodeScanDirs(usr: string): string[] {
  const dirs = ["bin", "sbin", "lib", "lib64", "libexec", "include", "share", "share/doc"];
  let lib: string[] = [];
  try {
    lib = readdirSync(join(usr, "lib")).filter((n) => /-linux-gnu/.test(n));
  } catch {
    // No /usr/lib: nothing to add.
  }
  return [...dirs, ...lib.map((t) => `lib/${t}`)];
}

/**
 * The paths (relative to /usr) of Node's files on this host: every entry of {@link nodeScanDirs}
 * named like a Node file, plus the running Node itself when it lives under /usr.
 */
export function nodePathsUnderUsr(usr = "/usr", execPath = process.execPath): string[] {
  const out = new Set<string>();
  for (const d of nodeScanDirs(usr)) {
    let names: string[];
    try {
      names = readdirSync(join(usr, d));
    } catch {
      continue;
    }
    for (const n of names) if (NODE_NAME.test(n)) out.add(`${d}/${n}`);
  }
  for (const p of [execPath, safeRealpath(execPath)]) {
    if (p?.startsWith(`${usr}/`)) out.add(p.slice(usr.length + 1));
  }
  return [...out].sort();
}

function safeRealpath(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

/**
 * The host's /usr with Node removed, as a read-only overlay mounted at `<dir>/usr` whose top
 * layer holds a whiteout (a 0/0 character device) for each of Node's files.
 */
export class NodeFreeUsr {
  readonly mountPoint: string;
  private readonly mask: string;

  constructor(readonly dir: string) {
    this.mountPoint = join(dir, "usr");
    this.mask = join(dir, "usr-mask");
  }

  /** Mounts the overlay; the caller has unmounted whatever an earlier run left. */
  mount(): void {
    rmSync(this.mask, { recursive: true, force: true });
    mkdirSync(this.mask, { recursive: true });
    mkdirSync(this.mountPoint, { recursive: true });
    for (const rel of nodePathsUnderUsr()) {
      const wh = join(this.mask, rel);
      mkdirSync(dirname(wh), { recursive: true });
      run("mknod", [wh, "c", "0", "0"]);
    }
    run("mount", ["-t", "overlay", "overlay", "-o", `ro,lowerdir=${this.mask}:/usr`, this.mountPoint]);
  }
}

/** A host path seen at a path of the charm container. */
export interface ContainerBind {
  readonly host: string;
  readonly container: string;
  readonly writable: boolean;
  /** Bind only when the host path exists (a Pebble socket of a container that is not up). */
  readonly optional?: boolean;
}

/** What a hook's container is made of. */
export interface CharmContainerSpec {
  /** Mount point of the Node-free /usr. */
  readonly usr: string;
  /** The unit's directories and sockets at Juju's paths. */
  readonly binds: readonly ContainerBind[];
  /** Working directory (the charm directory). */
  readonly chdir: string;
}

function topLevelLinks(): string[] {
  const args: string[] = [];
  for (const name of ["bin", "sbin", "lib", "lib32", "lib64", "libx32"]) {
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(`/${name}`);
    } catch {
      continue;
    }
    // A merged-/usr host has /bin -> usr/bin; mirror it. An older layout binds the directory.
    if (st.isSymbolicLink()) args.push("--symlink", readlinkSync(`/${name}`), `/${name}`);
    else if (st.isDirectory()) args.push("--ro-bind", `/${name}`, `/${name}`);
  }
  return args;
}

/** bubblewrap's arguments for a hook in the charm container described by `spec`. */
export function bwrapArgs(spec: CharmContainerSpec): string[] {
  const args = [
    "--die-with-parent",
    "--new-session",
    "--unshare-pid",
    "--unshare-ipc",
    "--cap-drop",
    "ALL",
    ...DEFAULT_CAPABILITIES.flatMap((c) => ["--cap-add", c]),
    "--ro-bind",
    spec.usr,
    "/usr",
    // A base image's /usr/local is empty.
    "--tmpfs",
    "/usr/local",
    ...["bin", "etc", "games", "include", "lib", "sbin", "share", "src"].flatMap((d) => [
      "--dir",
      `/usr/local/${d}`,
    ]),
    ...topLevelLinks(),
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--ro-bind",
    "/sys",
    "/sys",
    "--dir",
    "/etc",
    ...ETC_ENTRIES.flatMap((e) => ["--ro-bind-try", `/etc/${e}`, `/etc/${e}`]),
    "--dir",
    "/var/tmp",
    "--dir",
    "/run",
  ];
  for (const b of spec.binds) {
    const flag = b.writable ? "--bind" : "--ro-bind";
    args.push(b.optional ? `${flag}-try` : flag, b.host, b.container);
  }
  args.push("--chdir", spec.chdir);
  return args;
}
