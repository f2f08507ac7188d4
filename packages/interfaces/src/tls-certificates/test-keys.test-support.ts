/**
 * Fixed RSA keys for tests (testdata/tls-certificates/test-only-keys/): generating a 2048-bit key
 * costs 0.1-0.5 s of CPU, and most tests only need some valid key, not a new one. Test-only: the
 * keys are committed and public.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

const DIR = join(import.meta.dirname, "../../../../testdata/tls-certificates/test-only-keys");

/**
 * Test-only key number `n` (1 to 3) in the form `generatePrivateKeyPem` returns: PKCS#1 PEM
 * without the trailing newline. Different numbers are different keys.
 */
export function testOnlyKey(n: 1 | 2 | 3): string {
  return readFileSync(join(DIR, `rsa-2048-${n}.pem`), "utf8").trim();
}
