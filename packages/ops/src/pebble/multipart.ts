/**
 * multipart/form-data as Pebble's files API speaks it, both ways: the client's write request and
 * read response, the local runtime's server side of the same. A write is a `request` JSON part
 * followed by `files` parts whose `filename` is the file's full path; a read answers with `files`
 * parts and a `response` envelope last. General-purpose form parsers strip directories from file
 * names, which would lose Pebble's paths, so this codec keeps them (quotes escaped as `\"`, as
 * Python's email package and ops produce them). The one codec for the repository: the client here
 * and the runtime's server (through `@charmkit/ops/internal`) share it.
 */
import { createRequire } from "node:module";

/** One decoded part of a multipart body. */
export interface Part {
  /** The `name` parameter of Content-Disposition (`request`, `files`, `response`). */
  readonly name: string;
  /** The `filename` parameter, when present (a full path for Pebble). */
  readonly filename: string | undefined;
  /** The part's Content-Type header, when present. */
  readonly contentType: string | undefined;
  readonly body: Buffer;
}

/** One part to encode. */
export interface PartInput {
  readonly name: string;
  readonly filename?: string | undefined;
  readonly contentType?: string | undefined;
  readonly body: Buffer | Uint8Array | string;
}

/**
 * The shortest boundary Pebble accepts on a write request (its files API refuses shorter ones;
 * Go's multipart writer makes 60-character boundaries).
 */
export const MIN_BOUNDARY = 32;

// node:crypto takes milliseconds to load and only hooks that push files need a boundary: loaded
// on first use (an absolute path anchors a require function for built-ins, in ESM and bundles).
let randomBytes: typeof import("node:crypto").randomBytes | undefined;

/** A fresh boundary: 32 hex characters, the minimum length Pebble accepts. */
export function newBoundary(): string {
  randomBytes ??= (createRequire("/")("node:crypto") as typeof import("node:crypto")).randomBytes;
  return randomBytes(16).toString("hex");
}

/** The Content-Type header value of a body encoded with `boundary`. */
export function multipartContentType(boundary: string): string {
  return `multipart/form-data; boundary=${boundary}`;
}

/**
 * Extracts the boundary from a Content-Type header.
 *
 * @param minLength - refuse shorter boundaries (Pebble's server passes {@link MIN_BOUNDARY}).
 * @throws Error when the type is not multipart/form-data, or the boundary is missing or too short.
 */
export function boundaryOf(contentType: string | undefined, minLength = 1): string {
  const ct = contentType ?? "";
  if (!/^multipart\/form-data\s*(;|$)/i.test(ct))
    throw new Error(`invalid content type ${JSON.stringify(ct)}`);
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(ct);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary) throw new Error("multipart content type has no boundary");
  if (boundary.length < minLength) {
    throw new Error(`invalid boundary ${JSON.stringify(boundary)}: must be at least ${minLength} characters`);
  }
  return boundary;
}

function quote(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
}

function param(header: string, key: string): string | undefined {
  // Quoted values may carry \" and \\ escapes; bare values end at ; or white space.
  const re = new RegExp(`;\\s*${key}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, "i");
  const m = re.exec(header);
  if (!m) return undefined;
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2];
}

/** Encodes parts with the given boundary (headers in Go's order: disposition, then type). */
export function encodeMultipart(boundary: string, parts: readonly PartInput[]): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${quote(p.name)}"`;
    if (p.filename !== undefined) head += `; filename="${quote(p.filename)}"`;
    head += "\r\n";
    if (p.contentType) head += `Content-Type: ${p.contentType}\r\n`;
    chunks.push(Buffer.from(`${head}\r\n`), Buffer.from(p.body), Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

/**
 * Splits a multipart body into its parts (bodies are views of `body`, not copies).
 *
 * @throws Error when the body is not well-formed: no boundary, a part without its header block,
 *   or no closing boundary.
 */
export function decodeMultipart(body: Buffer, boundary: string): Part[] {
  const delim = Buffer.from(`--${boundary}`);
  const next = Buffer.from(`\r\n--${boundary}`);
  const parts: Part[] = [];
  let pos = body.indexOf(delim);
  if (pos < 0) throw new Error("multipart body has no boundary");
  for (;;) {
    pos += delim.length;
    // `--` right after a delimiter closes the body.
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) return parts;
    if (body[pos] === 0x0d && body[pos + 1] === 0x0a) pos += 2;
    const headerEnd = body.indexOf("\r\n\r\n", pos);
    if (headerEnd < 0) throw new Error("multipart part has no header block");
    const headers = new Map<string, string>();
    for (const line of body.subarray(pos, headerEnd).toString("utf8").split("\r\n")) {
      const i = line.indexOf(":");
      if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
    }
    const start = headerEnd + 4;
    const end = body.indexOf(next, start);
    if (end < 0) throw new Error("multipart body is truncated (no closing boundary)");
    const disposition = headers.get("content-disposition") ?? "";
    parts.push({
      name: param(disposition, "name") ?? "",
      filename: param(disposition, "filename"),
      contentType: headers.get("content-type"),
      body: body.subarray(start, end),
    });
    pos = end + 2;
  }
}
