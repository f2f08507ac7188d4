// The multipart codec both Pebble sides share: Pebble's boundary rule, ops-style bodies (escaped
// quotes in full-path file names, binary data), and encode/decode round trips.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  boundaryOf,
  decodeMultipart,
  encodeMultipart,
  MIN_BOUNDARY,
  multipartContentType,
} from "./multipart.js";

const B = "0123456789abcdef0123456789abcdef";

test("boundaryOf requires multipart/form-data and a boundary, at least 32 characters where Pebble asks", () => {
  assert.equal(boundaryOf(`multipart/form-data; boundary=${B}`, MIN_BOUNDARY), B);
  assert.equal(boundaryOf(`multipart/form-data; boundary="${B}"`, MIN_BOUNDARY), B);
  assert.equal(boundaryOf("multipart/form-data; boundary=short"), "short");
  assert.throws(() => boundaryOf("multipart/form-data; boundary=short", MIN_BOUNDARY), /at least 32/);
  assert.throws(() => boundaryOf("application/json"), /invalid content type/);
  assert.throws(() => boundaryOf("multipart/form-data"), /no boundary/);
});

test("decodeMultipart reads ops-style bodies, including escaped quotes in filenames and binary data", () => {
  const bin = Buffer.from([0, 255, 13, 10, 45, 45]);
  const body = Buffer.concat([
    Buffer.from(
      `--${B}\r\nContent-Type: application/json\r\nContent-Disposition: form-data; name="request"\r\n\r\n{"action":"write"}\r\n` +
        `--${B}\r\nContent-Type: application/octet-stream\r\nContent-Disposition: form-data; name="files"; filename="/etc/a \\"q\\".conf"\r\n\r\n`,
    ),
    bin,
    Buffer.from(`\r\n--${B}--\r\n`),
  ]);
  const parts = decodeMultipart(body, B);
  assert.equal(parts.length, 2);
  assert.equal(parts[0]?.name, "request");
  assert.equal(parts[0]?.contentType, "application/json");
  assert.equal(parts[0]?.body.toString(), '{"action":"write"}');
  assert.equal(parts[1]?.filename, '/etc/a "q".conf');
  assert.deepEqual(parts[1]?.body, bin);
  assert.throws(() => decodeMultipart(Buffer.from(`--${B}\r\nX: y\r\n\r\nabc`), B), /truncated/);
  assert.throws(() => decodeMultipart(Buffer.from("no delimiter"), B), /no boundary/);
});

test("encodeMultipart output decodes back to the same parts", () => {
  const parts = [
    {
      name: "files",
      filename: '/x/"y"',
      contentType: "application/octet-stream",
      body: Buffer.from("a\r\n--b"),
    },
    { name: "response", filename: undefined, contentType: "application/json", body: Buffer.from("{}") },
  ];
  const body = encodeMultipart(B, parts);
  assert.deepEqual(decodeMultipart(body, boundaryOf(multipartContentType(B))), parts);
});
