// The grafana_dashboard codec and uids against Python's own: hashlib.shake_256 for the uids,
// lzma (cosl's LZMABase64) both ways for the content, run in a real python3.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import {
  dashboardAltUid,
  dashboardPath40Uid,
  LzmaError,
  lzmaBase64Compress,
  lzmaBase64Decompress,
} from "./index.js";

const python = spawnSync("python3", ["-c", "import lzma"]).status === 0;

test("uids agree with Python's hashlib.shake_256", { skip: !python && "python3 not available" }, () => {
  const py = spawnSync("python3", [
    "-c",
    "import hashlib;print(hashlib.shake_256(b'prometheus-k8s-src/grafana_dashboards/x.json').hexdigest(20));print(hashlib.shake_256(b'prometheus-k8s-file:x').hexdigest(8))",
  ]);
  const [p40, alt] = py.stdout.toString().trim().split("\n");
  assert.equal(dashboardPath40Uid("prometheus-k8s", "src/grafana_dashboards/x.json"), p40);
  assert.equal(dashboardAltUid("prometheus-k8s", "file:x"), alt);
});

// cosl's LZMABase64.decompress (the Python requirer) is `lzma.decompress(b64decode(...))`, whose
// FORMAT_AUTO reads .lzma as well as .xz; its compress writes .xz, which we must read.
test("Python's lzma decompresses our content and we decompress Python's", {
  skip: !python && "python3 not available",
}, async () => {
  const text = '{"title": "x\\u00e9"}';
  const ours = lzmaBase64Compress(text);
  const py = spawnSync("python3", [
    "-c",
    "import lzma,base64,sys;print(lzma.decompress(base64.b64decode(sys.argv[1])).decode())",
    ours,
  ]);
  assert.equal(py.stdout.toString().trim(), text);
  const theirs = spawnSync("python3", [
    "-c",
    "import lzma,base64;print(base64.b64encode(lzma.compress(b'hello')).decode())",
  ]);
  assert.equal(await lzmaBase64Decompress(theirs.stdout.toString().trim()), "hello");
  const big = "dashboard ".repeat(20_000);
  const theirsBig = spawnSync(
    "python3",
    ["-c", "import lzma,base64,sys;print(base64.b64encode(lzma.compress(sys.stdin.buffer.read())).decode())"],
    { input: big },
  );
  assert.equal(await lzmaBase64Decompress(theirsBig.stdout.toString().trim()), big);
  await assert.rejects(lzmaBase64Decompress(Buffer.from("not lzma at all").toString("base64")), LzmaError);
});
