/**
 * cosl `LZMABase64`: base64 of an LZMA-compressed text, the encoding of dashboard `content` on the
 * grafana_dashboard relation. In-process, with no `xz` binary (a charm container need not have
 * one): compression writes the `.lzma` ("LZMA alone") format with LZMA-JS (`lzma`), which the
 * Python side reads, since cosl decompresses with `lzma.decompress` and its default
 * `FORMAT_AUTO` accepts both `.xz` and `.lzma`. Decompression reads both: `.lzma` with LZMA-JS,
 * and `.xz` (what Python's `lzma.compress` writes) with `xz-decompress` (WebAssembly, no native
 * code), loaded only when an `.xz` payload arrives.
 */
import lzmaWorker from "lzma/src/lzma_worker-min.js";

/** Raised when a payload cannot be compressed or decompressed; `cause` carries the codec's error. */
export class LzmaError extends Error {
  override readonly name = "LzmaError";
}

// LZMA-JS's package entry loads its codec file through a computed path that bundlers cannot
// follow; importing the (minified, 24 KB) file itself puts it in the charm's bundle.
const lzmaJs = () => lzmaWorker.LZMA;

/** The first bytes of an `.xz` stream. */
const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

/**
 * LZMA-JS mode: 1 (dictionary 64 KiB, fast) to 9. Dashboards are tens of KiB, so a larger
 * dictionary gains nothing, and the leader recompresses on every relevant hook. Decompression
 * does not depend on the mode.
 */
const MODE = 1;

/** `LZMABase64.compress`: UTF-8 text to base64 of its `.lzma` compression. */
export function lzmaBase64Compress(text: string): string {
  try {
    const bytes = lzmaJs().compress(Buffer.from(text, "utf8"), MODE);
    return Buffer.from(Int8Array.from(bytes).buffer).toString("base64");
  } catch (e) {
    throw new LzmaError(`cannot compress: ${(e as Error).message}`, { cause: e });
  }
}

/** `LZMABase64.decompress`: base64 of an `.xz` or `.lzma` stream back to UTF-8 text. */
export async function lzmaBase64Decompress(b64: string): Promise<string> {
  const data = Buffer.from(b64, "base64");
  try {
    if (data.subarray(0, XZ_MAGIC.length).equals(XZ_MAGIC)) {
      const { XzReadableStream } = (await import("xz-decompress")) as typeof import("xz-decompress");
      const stream = new XzReadableStream(new Blob([data]).stream());
      return await new Response(stream).text();
    }
    const out = lzmaJs().decompress(data);
    // LZMA-JS answers a string when the bytes are valid UTF-8, else the signed bytes.
    return typeof out === "string" ? out : Buffer.from(Int8Array.from(out).buffer).toString("utf8");
  } catch (e) {
    throw new LzmaError(`cannot decompress: ${(e as Error).message ?? String(e)}`, { cause: e });
  }
}
