/**
 * Each workload container's own system trust store (/etc/ssl).
 *
 * In a pod every container has its image's /etc/ssl, and workloads change it: the Python
 * prometheus charm installs the CAs it receives under /usr/local/share/ca-certificates and runs
 * `update-ca-certificates`, which rewrites /etc/ssl/certs. The local runtime's containers see the
 * host's filesystem except what their root directory holds (pebble/sandbox.ts binds a directory
 * of the root over the host's path, so rootDir/etc/ssl hides the host's /etc/ssl once it exists).
 * A container root therefore starts with a copy of the host's /etc/ssl: the workload changes its
 * copy, never the host's trust store.
 */
import { cpSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";

/** The host's trust store, copied into each container root. */
export const HOST_SSL_DIR = "/etc/ssl";

/**
 * Gives the container root `rootDir` its own /etc/ssl, a copy of `hostSsl` (modes kept, symlinks
 * copied as they are: the hash links point into /usr/share/ca-certificates, which stays shared
 * and read-only for workloads). A root that already has one keeps it, as a container keeps its
 * writable layer across restarts of its services.
 *
 * @returns whether a copy was made.
 */
export function seedTrustStore(rootDir: string, hostSsl = HOST_SSL_DIR): boolean {
  const dest = join(rootDir, "etc", "ssl");
  if (existsSync(dest) || !existsSync(hostSsl)) return false;
  mkdirSync(dirname(dest), { recursive: true });
  cpSync(hostSsl, dest, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  return true;
}
