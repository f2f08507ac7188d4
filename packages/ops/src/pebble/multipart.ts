/**
 * Minimal multipart/form-data encoding and decoding for Pebble's files API (spec §5.4). Pebble
 * sends file names as full paths, which general-purpose form parsers strip, so we keep our own.
 */
import { randomBytes } from "node:crypto";

/** One part of a multipart body. */
export interface Part {
  /** The `name` parameter of Content-Disposition (`request`, `files`, `response`). */
  readonly name: string;
  /** The `filename` parameter, when present (a full path for Pebble). */
  readonly filename?: string | undefined;
  /** Lower-cased header names to values. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** A fresh boundary: 32 hex characters, the minimum length Pebble accepts. */
export function newBoundary(): string {
  return randomBytes(16).toString("hex");
}

function quote(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
}

/** Encodes parts with the given boundary. */
export function encodeMultipart(
  boundary: string,
  parts: readonly {
    name: string;
    filename?: string | undefined;
    contentType: string;
    body: Buffer | Uint8Array | string;
  }[],
): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disp = `form-data; name="${quote(p.name)}"${p.filename !== undefined ? `; filename="${quote(p.filename)}"` : ""}`;
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Type: ${p.contentType}\r\nContent-Disposition: ${disp}\r\n\r\n`),
    );
    chunks.push(typeof p.body === "string" ? Buffer.from(p.body) : Buffer.from(p.body));
    chunks.push(Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

/** Extracts the boundary parameter from a Content-Type header, or undefined. */
export function boundaryOf(contentType: string | undefined): string | undefined {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? "");
  return m ? (m[1] ?? m[2]) : undefined;
}

function param(header: string, key: string): string | undefined {
  const re = new RegExp(`(?:^|;)\\s*${key}="((?:[^"\\\\]|\\\\.)*)"`, "i");
  const m = re.exec(header);
  if (m) return (m[1] as string).replace(/\\(.)/g, "$1");
  const bare = new RegExp(`(?:^|;)\\s*${key}=([^;\\s]+)`, "i").exec(header);
  return bare?.[1];
}

/**
 * Decodes a multipart body.
 *
 * @throws Error when the body does not contain the boundary or a part has no header block.
 */
export function decodeMultipart(body: Buffer, boundary: string): Part[] {
  const delim = Buffer.from(`--${boundary}`);
  const parts: Part[] = [];
  let pos = body.indexOf(delim);
  if (pos < 0) throw new Error("multipart body does not contain its boundary");
  for (;;) {
    pos += delim.length;
    // `--` right after a delimiter closes the body.
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) break;
    if (body[pos] === 0x0d && body[pos + 1] === 0x0a) pos += 2;
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), pos);
    if (next < 0) throw new Error("multipart body is truncated");
    const raw = body.subarray(pos, next);
    const split = raw.indexOf("\r\n\r\n");
    if (split < 0) throw new Error("multipart part has no header block");
    const headers: Record<string, string> = {};
    for (const line of raw.subarray(0, split).toString("utf8").split("\r\n")) {
      const i = line.indexOf(":");
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const disp = headers["content-disposition"] ?? "";
    parts.push({
      name: param(disp, "name") ?? "",
      filename: param(disp, "filename"),
      headers,
      body: Buffer.from(raw.subarray(split + 4)),
    });
    pos = next + 2;
  }
  return parts;
}
