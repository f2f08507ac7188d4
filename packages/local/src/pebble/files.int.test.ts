import assert from "node:assert/strict";
import { mkdirSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { PathError } from "@charmkit/ops/pebble";
import { boundaryOf, decodeMultipart } from "@charmkit/ops/internal";
import { type Harness, startHarness } from "./test-helpers.js";

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => h.close());

test("push, pull, list round trip with permissions and make-dirs, stored under rootDir", async () => {
  const bytes = Buffer.from([0, 1, 2, 255, 13, 10]);
  await h.client.push(`${h.dir}/a/b/data.bin`, bytes, { makeDirs: true, permissions: "600" });
  assert.deepEqual(await h.client.pull(`${h.dir}/a/b/data.bin`), bytes);
  assert.equal(statSync(join(h.rootDir, h.dir, "a/b/data.bin")).mode & 0o777, 0o600);
  await h.client.push(`${h.dir}/a/b/x.conf`, "x");
  const all = await h.client.listFiles(`${h.dir}/a/b`);
  assert.deepEqual(
    all.map((f) => [f.name, f.type, f.permissions, f.size]),
    [
      ["data.bin", "file", "600", 6],
      ["x.conf", "file", "644", 1],
    ],
  );
  assert.equal(all[0]?.path, `${h.dir}/a/b/data.bin`);
  const conf = await h.client.listFiles(`${h.dir}/a/b`, { pattern: "*.conf" });
  assert.deepEqual(
    conf.map((f) => f.name),
    ["x.conf"],
  );
  const itself = await h.client.listFiles(`${h.dir}/a`, { itself: true });
  assert.deepEqual(
    itself.map((f) => [f.path, f.type]),
    [[`${h.dir}/a`, "directory"]],
  );
});

// Pebble reads every `path` parameter of one read request (canonical/pebble
// internals/daemon/api_files.go, v1GetFiles and readFilesResponse: one `files` part per file read,
// per-path errors in the response part), which is what the client's pullMany batches onto.
test("pullMany: several files per request, each with its content or its own error", async () => {
  const paths: string[] = [];
  for (let i = 0; i < 250; i++) {
    const p = `${h.dir}/many/f${i}.rules`;
    await h.client.push(p, `content ${i}\n`, { makeDirs: true });
    paths.push(p);
  }
  await h.client.makeDir(`${h.dir}/many/sub`);
  const asked = [...paths, `${h.dir}/many/missing`, `${h.dir}/many/sub`];
  const got = await h.client.pullMany(asked);
  assert.equal(got.size, asked.length);
  for (let i = 0; i < 250; i++) assert.equal((got.get(paths[i]!) as Buffer).toString(), `content ${i}\n`);
  const missing = got.get(`${h.dir}/many/missing`);
  assert.ok(missing instanceof PathError && missing.kind === "not-found");
  const dir = got.get(`${h.dir}/many/sub`);
  assert.ok(dir instanceof PathError && /can only read a regular file/.test(dir.message));
});

test("per-path errors come back inside 200 responses with Pebble's kinds", async () => {
  await assert.rejects(h.client.push(`${h.dir}/missing/x`, "x"), (e: unknown) => {
    assert.ok(e instanceof PathError);
    assert.equal(e.kind, "not-found");
    assert.ok(!e.message.includes(h.rootDir), "messages never reveal the host root");
    return true;
  });
  await assert.rejects(
    h.client.pull(`${h.dir}/nope`),
    (e: unknown) => e instanceof PathError && e.kind === "not-found",
  );
  await h.client.makeDir(`${h.dir}/d`, { makeParents: true });
  await assert.rejects(h.client.pull(`${h.dir}/d`), /can only read a regular file/);
  await assert.rejects(h.client.makeDir(`${h.dir}/d`), /file exists/);
  await h.client.push(`${h.dir}/d/f`, "x");
  await assert.rejects(h.client.removePath(`${h.dir}/d`), /directory not empty/);
  await h.client.removePath(`${h.dir}/d`, { recursive: true });
  await assert.rejects(
    h.client.listFiles(`${h.dir}/d`),
    (e: unknown) => (e as { code?: number }).code === 404,
  );

  // Raw: the list of results is per path, in request order, in a 200 envelope.
  const reply = await h.raw(
    "POST",
    "/v1/files",
    {
      action: "make-dirs",
      dirs: [
        { path: `${h.dir}/ok`, "make-parents": true },
        { path: "relative/path" },
        { path: `${h.dir}/x/../y` },
        { path: `${h.dir}/bad-perm`, permissions: "9z" },
      ],
    },
    { "Content-Type": "application/json" },
  );
  assert.equal(reply.status, 200);
  const result = reply.json().result as { path: string; error?: { kind: string; message: string } }[];
  assert.equal(result.length, 4);
  assert.deepEqual(result[0], { path: `${h.dir}/ok` });
  assert.match(result[1]?.error?.message ?? "", /must be absolute/);
  assert.match(result[2]?.error?.message ?? "", /must not contain ".."/);
  assert.equal(result[3]?.error?.kind, "generic-file-error");
});

test("a symlink inside the root cannot lead outside it", async () => {
  const host = join(h.rootDir, h.dir);
  mkdirSync(host, { recursive: true });
  symlinkSync("/etc", join(host, "escape"));
  await assert.rejects(h.client.pull(`${h.dir}/escape/passwd`), (e: unknown) => {
    assert.ok(e instanceof PathError);
    assert.equal(e.kind, "permission-denied");
    return true;
  });
});

test("read answers multipart with the response part last; reads need Accept multipart", async () => {
  await h.client.push(`${h.dir}/r.txt`, "content");
  const bad = await h.raw("GET", `/v1/files?action=read&path=${h.dir}/r.txt`);
  assert.equal(bad.status, 400);
  assert.equal((bad.json().result as { message: string }).message, "must accept multipart/form-data");
  const ok = await h.raw("GET", `/v1/files?action=read&path=${h.dir}/r.txt&path=${h.dir}/none`, undefined, {
    Accept: "multipart/form-data",
  });
  assert.equal(ok.status, 200);
  const parts = decodeMultipart(ok.body, boundaryOf(String(ok.headers["content-type"])));
  assert.deepEqual(
    parts.map((p) => [p.name, p.filename]),
    [
      ["files", `${h.dir}/r.txt`],
      ["response", undefined],
    ],
  );
  assert.equal(parts[0]?.body.toString(), "content");
  const env = JSON.parse(parts[1]?.body.toString() ?? "") as { type: string; result: unknown[] };
  assert.equal(env.type, "sync");
  assert.deepEqual(env.result[0], { path: `${h.dir}/r.txt` });
  assert.equal((env.result[1] as { error: { kind: string } }).error.kind, "not-found");
});

test("multipart writes with a short boundary are refused", async () => {
  const b = "shortboundary";
  const body = Buffer.from(
    `--${b}\r\nContent-Disposition: form-data; name="request"\r\n\r\n{}\r\n--${b}--\r\n`,
  );
  const r = await h.raw("POST", "/v1/files", body, { "Content-Type": `multipart/form-data; boundary=${b}` });
  assert.equal(r.status, 400);
  assert.match((r.json().result as { message: string }).message, /at least 32/);
});
