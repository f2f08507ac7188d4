/**
 * cosl `LZMABase64`: base64 of an `.xz` stream, the encoding of dashboard `content` on the
 * grafana_dashboard relation. Node has no xz codec, so this runs the system `xz` binary
 * (xz-utils, present on Ubuntu bases); Python's `lzma.compress` defaults match `xz -6` with a
 * CRC64 check, so either side decompresses the other's output. Not pure: it spawns a process.
 */
import { execFileSync } from "node:child_process";

/** Raised when `xz` is missing or fails; `cause` carries the child-process error. */
export class LzmaError extends Error {
  override readonly name = "LzmaError";
}

function runXz(args: string[], input: Buffer): Buffer {
  try {
    return execFileSync("xz", args, { input, maxBuffer: 256 * 1024 * 1024, stdio: ["pipe", "pipe", "pipe"] });
  } catch (e) {
    throw new LzmaError(`xz ${args.join(" ")} failed: ${(e as Error).message.split("\n")[0]}`, { cause: e });
  }
}

/** `LZMABase64.compress`: UTF-8 text to base64 of its xz compression. */
export function lzmaBase64Compress(text: string): string {
  return runXz(
    ["--compress", "--format=xz", "--check=crc64", "-6", "--stdout"],
    Buffer.from(text, "utf8"),
  ).toString("base64");
}

/** `LZMABase64.decompress`: base64 of an xz (or legacy .lzma) stream back to UTF-8 text. */
export function lzmaBase64Decompress(b64: string): string {
  return runXz(["--decompress", "--format=auto", "--stdout"], Buffer.from(b64, "base64")).toString("utf8");
}
