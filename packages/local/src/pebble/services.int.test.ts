import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe, test } from "node:test";
import { ChangeError } from "@charmkit/ops/pebble";
import { eventually, type Harness, startHarness } from "./test-helpers.js";

let h: Harness;
before(async () => {
  h = await startHarness();
  await h.client.makeDir(h.dir, { makeParents: true, permissions: "777" });
});
after(async () => h.close());

async function status(name: string): Promise<string | undefined> {
  return (await h.client.getServices([name]))[0]?.current;
}

async function read(path: string): Promise<string> {
  return (await h.client.pull(path)).toString();
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe("services", () => {
  test("a real service starts after the okay delay, reports active, and stops promptly", async () => {
    await h.client.addLayer("l1", { services: { sleeper: { override: "replace", command: "sleep 1000" } } });
    const t0 = Date.now();
    await h.client.startServices(["sleeper"]);
    assert.ok(Date.now() - t0 >= 1000, "start waits for Pebble's 1 s okay delay");
    assert.equal(await status("sleeper"), "active");
    const t1 = Date.now();
    await h.client.stopServices(["sleeper"]);
    // Pebble's default kill-delay is 5 s (servstate): a stop well under it did not wait for SIGKILL.
    // The margin is wide so that a loaded machine does not fail a behaviour test on timing.
    assert.ok(Date.now() - t1 < 4000, "sleep dies on SIGTERM without waiting for kill-delay");
    assert.equal(await status("sleeper"), "inactive");
  });

  test("stop honours kill-delay: SIGTERM first, SIGKILL only after the delay", async () => {
    const cmd = `sh -c 'trap "" TERM; while true; do sleep 0.05; done'`;
    await h.client.addLayer("l2", {
      services: { stubborn: { override: "replace", command: cmd, "kill-delay": "700ms" } },
    });
    await h.client.startServices(["stubborn"]);
    const t0 = Date.now();
    await h.client.stopServices(["stubborn"]);
    const took = Date.now() - t0;
    // At least the service's 700 ms, and less than the 5 s default it would take if the
    // service's own kill-delay were ignored.
    assert.ok(took >= 700 && took < 5000, `stop took ${took} ms`);
    assert.equal(await status("stubborn"), "inactive");
  });

  test("a service that exits within a second fails the start change with its output in the task log", async () => {
    await h.client.addLayer("l3", {
      services: {
        crash: { override: "replace", command: `sh -c 'echo boom-output; exit 3'`, "on-failure": "ignore" },
      },
    });
    await assert.rejects(h.client.startServices(["crash"]), (e: unknown) => {
      assert.ok(e instanceof ChangeError);
      assert.match(e.err, /Start service "crash" \(cannot start service: exited quickly with code 3\)/);
      assert.match(e.message, /boom-output/);
      return true;
    });
    assert.equal(await status("crash"), "error");
  });

  test("on-failure restart backs off with growing delays and reports backoff", async () => {
    const log = `${h.dir}/flaky.log`;
    const cmd = `sh -c 'date +%s%N >> ${log}; sleep 1.05; exit 1'`;
    await h.client.addLayer("l4", {
      services: {
        flaky: {
          override: "replace",
          command: cmd,
          "backoff-delay": "200ms",
          "backoff-factor": 3,
          "backoff-limit": "10s",
        },
      },
    });
    await h.client.startServices(["flaky"]);
    let sawBackoff = false;
    await eventually(
      async () => {
        if ((await status("flaky")) === "backoff") sawBackoff = true;
        return (await read(log).catch(() => "")).trim().split("\n").length >= 4;
      },
      15_000,
      40,
    );
    await h.client.stopServices(["flaky"]);
    assert.ok(sawBackoff, "status was backoff between restarts");
    const starts = (await read(log))
      .trim()
      .split("\n")
      .map((l) => Number(BigInt(l) / 1_000_000n));
    const gaps = starts.slice(1).map((t, i) => t - (starts[i] as number) - 1050);
    // Delays of 200, 600, 1800 ms (factor 3). A busy machine only makes the gaps longer, so the
    // test checks that each backoff waited at least its delay (less a little timer slack): a third
    // gap of 1.8 s cannot come from a fixed 200 ms delay.
    assert.ok((gaps[0] as number) >= 150, `first gap ${gaps[0]}`);
    assert.ok((gaps[1] as number) >= 550, `second gap ${gaps[1]}`);
    assert.ok((gaps[2] as number) >= 1700, `third gap ${gaps[2]}`);
    assert.equal(await status("flaky"), "inactive");
  });

  test("replan restarts only services whose definition changed and starts enabled ones", async () => {
    const svc = (name: string, env: string) => ({
      override: "replace" as const,
      command: `sh -c 'echo $$ > ${h.dir}/${name}.pid; exec sleep 1000'`,
      startup: "enabled" as const,
      environment: { V: env },
    });
    await h.client.addLayer("l5", { services: { alpha: svc("alpha", "1"), beta: svc("beta", "1") } });
    await h.client.replan();
    const a1 = await read(`${h.dir}/alpha.pid`);
    const b1 = await read(`${h.dir}/beta.pid`);
    assert.equal(await status("alpha"), "active");
    await h.client.addLayer(
      "l5",
      { services: { beta: { override: "merge", environment: { V: "2" } } } },
      { combine: true },
    );
    await h.client.replan();
    assert.equal(await read(`${h.dir}/alpha.pid`), a1, "unchanged service kept its process");
    assert.notEqual(await read(`${h.dir}/beta.pid`), b1, "changed service was restarted");
    assert.equal(await status("beta"), "active");
    await h.client.stopServices(["alpha", "beta"]);
  });

  test("environment, working-dir and user reach the process", async () => {
    const out = `${h.dir}/ctx.out`;
    await h.client.addLayer("l6", {
      services: {
        ctx: {
          override: "replace",
          command: `sh -c 'echo "$GREETING $(pwd) $(id -un) $HOME" > ${out}; exec sleep 1000'`,
          environment: { GREETING: "hello world" },
          "working-dir": "/tmp",
          user: "nobody",
        },
      },
    });
    await h.client.startServices(["ctx"]);
    // Started means running for Pebble's okay delay, not that the shell has written yet: on a
    // loaded machine it may not have.
    await eventually(async () => (await read(out).catch(() => "")).endsWith("\n"), 30_000);
    const [greeting, world, cwd, user] = (await read(out)).trim().split(" ");
    assert.deepEqual([greeting, world, cwd, user], ["hello", "world", "/tmp", "nobody"]);
    await h.client.stopServices(["ctx"]);
  });

  test("signals reach a running service; a stopped one is an error", async () => {
    const out = `${h.dir}/hup.out`;
    await h.client.addLayer("l7", {
      services: {
        hup: {
          override: "replace",
          command: `sh -c 'trap "echo got-hup >> ${out}" HUP; while true; do sleep 0.05; done'`,
        },
      },
    });
    await h.client.startServices(["hup"]);
    await h.client.sendSignal("SIGHUP", ["hup"]);
    await eventually(async () => (await read(out).catch(() => "")).includes("got-hup"));
    await h.client.stopServices(["hup"]);
    await assert.rejects(h.client.sendSignal("SIGHUP", ["hup"]), /service is not running/);
  });

  test("a node http server service answers, and a failing check restarts it (on-check-failure)", async () => {
    const port = await freePort();
    const js = `require('http').createServer((q,r)=>r.end(String(process.pid))).listen(${port},'127.0.0.1')`;
    await h.client.addLayer("l8", {
      services: {
        web: {
          override: "replace",
          command: `${process.execPath} -e "${js}"`,
          "on-check-failure": { "web-broken": "restart" },
          "backoff-delay": "100ms",
        },
      },
      checks: {
        "web-up": {
          override: "replace",
          period: "100ms",
          threshold: 2,
          http: { url: `http://127.0.0.1:${port}/` },
        },
        "web-broken": {
          override: "replace",
          period: "150ms",
          threshold: 2,
          startup: "disabled",
          exec: { command: "false" },
        },
      },
    });
    await h.client.startServices(["web"]);
    const pid1 = await (await fetch(`http://127.0.0.1:${port}/`)).text();
    await eventually(async () => ((await h.client.getChecks({ names: ["web-up"] }))[0]?.successes ?? 0) >= 2);
    const [up] = await h.client.getChecks({ names: ["web-up"] });
    assert.equal(up?.status, "up");
    const [broken] = await h.client.getChecks({ names: ["web-broken"] });
    assert.equal(broken?.status, "inactive");
    assert.deepEqual(await h.client.startChecks(["web-broken"]), ["web-broken"]);
    await eventually(async () => (await h.client.getChecks({ names: ["web-broken"] }))[0]?.status === "down");
    await eventually(async () => {
      const pid2 = await fetch(`http://127.0.0.1:${port}/`).then(
        (r) => r.text(),
        () => pid1,
      );
      return pid2 !== pid1;
    }, 8000);
    assert.deepEqual(await h.client.stopChecks(["web-broken", "web-up"]), ["web-broken", "web-up"]);
    await h.client.stopServices(["web"]);
  });
});
