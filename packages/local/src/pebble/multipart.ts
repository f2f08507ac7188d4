/**
 * multipart/form-data as Pebble's files API speaks it: parsing write requests (boundary of at
 * least 32 characters, a `request` JSON part then `files` parts named by their full path, with
 * `"` escaped as `\"`) and building read responses (file parts, then the `response` envelope).
 */

/** One part of a multipart body. */
export interface Part {
  readonly name: string;
  readonly filename: string | undefined;
  readonly contentType: string | undefined;
  readonly body: Buffer;
}

/** Pebble refuses shorter boundaries. */
export const MIN_BOUNDARY = 32;

/**
 * Extracts the boundary from a Content-Type header.
 *
 * @throws Error when it is not multipart/form-data or the boundary is missing or too short.
 */
export function boundaryOf(contentType: string | undefined): string {
  const ct = contentType ?? "";
  if (!/^multipart\/form-data\s*(;|$)/i.test(ct))
    throw new Error(`invalid content type ${JSON.stringify(ct)}`);
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(ct);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary) throw new Error("multipart content type has no boundary");
  if (boundary.length < MIN_BOUNDARY) {
    throw new Error(
      `invalid boundary ${JSON.stringify(boundary)}: must be at least ${MIN_BOUNDARY} characters`,
    );
  }
  return boundary;
}

function param(header: string, key: string): string | undefined {
  // Quoted values may contain \" and \\ escapes (Python's email and ops both produce them).
  const re = new RegExp(`;\\s*${key}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, "i");
  const m = re.exec(header);
  if (!m) return undefined;
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2];
}

/**
 * Splits a multipart body into parts.
 *
 * @throws Error when the body is not well-formed.
 */
export function parseMultipart(body: Buffer, boundary: string): Part[] {
  const delim = Buffer.from(`--${boundary}`);
  const parts: Part[] = [];
  let pos = body.indexOf(delim);
  if (pos < 0) throw new Error("multipart body has no boundary");
  for (;;) {
    pos += delim.length;
    if (body.subarray(pos, pos + 2).toString() === "--") return parts;
    if (body.subarray(pos, pos + 2).toString() === "\r\n") pos += 2;
    const headerEnd = body.indexOf("\r\n\r\n", pos);
    if (headerEnd < 0) throw new Error("multipart part has no header terminator");
    const headers = new Map<string, string>();
    for (const line of body.subarray(pos, headerEnd).toString("utf8").split("\r\n")) {
      const i = line.indexOf(":");
      if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
    }
    const start = headerEnd + 4;
    const next = body.indexOf(Buffer.concat([Buffer.from("\r\n"), delim]), start);
    if (next < 0) throw new Error("multipart body is truncated (no closing boundary)");
    const disposition = headers.get("content-disposition") ?? "";
    parts.push({
      name: param(disposition, "name") ?? "",
      filename: param(disposition, "filename"),
      contentType: headers.get("content-type"),
      body: body.subarray(start, next),
    });
    pos = next + 2;
  }
}

function quote(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
}

/** Builds a multipart body from parts; returns it with its Content-Type header value. */
export function buildMultipart(
  parts: readonly Part[],
  boundary: string,
): { body: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    let disposition = `form-data; name="${quote(p.name)}"`;
    if (p.filename !== undefined) disposition += `; filename="${quote(p.filename)}"`;
    let head = `--${boundary}\r\nContent-Disposition: ${disposition}\r\n`;
    if (p.contentType) head += `Content-Type: ${p.contentType}\r\n`;
    chunks.push(Buffer.from(`${head}\r\n`), p.body, Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}
