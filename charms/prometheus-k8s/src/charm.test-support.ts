/**
 * Test support shared by the charm's harness tests: the charm directory the harness reads, the
 * model uuid their relations and scrape metadata name, temporary directories that go away when the
 * test file ends, and the seeded generator of the property tests.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";

/** The charm's directory: charmcraft.yaml, which gives the harness its metadata and options. */
export const CHARM_DIR = join(import.meta.dirname, "..");

/** The model uuid of the tests' model, as relation data and scrape metadata carry it. */
export const MODEL_UUID = "a1b2c3d4-1111-4222-8333-444455556666";

/** A new directory under the system's temporary directory, removed when the test file ends. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** mulberry32, a small seeded generator, so that a failure names the seed that shows it. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
