/**
 * Test support for the bundling tests: charm source trees (a package.json and the files it names)
 * written under a temp directory that is removed when the test file is done.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";

/** A temp directory and a maker of charm source trees in it. */
export interface CharmSources {
  /** The temp directory, removed after the calling file's tests. */
  readonly work: string;
  /**
   * Writes charm `name`: its package.json is `pkg`, `files` maps paths under it to their text.
   * Returns the charm's directory.
   */
  charm(name: string, pkg: unknown, files: Record<string, string>): string;
}

/** A temp directory named from `prefix`, removed after the calling file's tests, and its charm maker. */
export function charmSources(prefix: string): CharmSources {
  const work = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(work, { recursive: true, force: true }));
  return {
    work,
    charm(name, pkg, files) {
      const dir = join(work, name);
      mkdirSync(dir, { recursive: true });
      for (const [rel, text] of Object.entries(files)) {
        mkdirSync(join(dir, rel, ".."), { recursive: true });
        writeFileSync(join(dir, rel), text);
      }
      writeFileSync(join(dir, "package.json"), JSON.stringify(pkg));
      return dir;
    },
  };
}
