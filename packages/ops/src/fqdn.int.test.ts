// localFqdn() on this machine answers what Python's socket.getfqdn() answers (CPython
// Lib/socket.py), reading the real /etc/hosts and host name.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { localFqdn } from "./fqdn.js";

const python = spawnSync("python3", ["-c", "import socket"]).status === 0;

test("localFqdn matches socket.getfqdn() on this machine", { skip: python ? false : "no python3" }, () => {
  const r = spawnSync("python3", ["-c", "import socket; print(socket.getfqdn())"], { encoding: "utf8" });
  assert.equal(localFqdn(), r.stdout.trim());
});
