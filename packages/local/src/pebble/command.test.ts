import assert from "node:assert/strict";
import { test } from "node:test";
import { parseCommand, splitWords } from "./command.js";

test("splitWords follows shell quoting without a shell", () => {
  assert.deepEqual(splitWords(`a 'b c' "d \\"e\\"" f\\ g`), ["a", "b c", 'd "e"', "f g"]);
  assert.deepEqual(splitWords(`--x='$HOME' ""`), ["--x=$HOME", ""]);
  assert.throws(() => splitWords(`a 'b`), /unterminated single quote/);
  assert.throws(() => splitWords(`a "b`), /unterminated double quote/);
});

test("parseCommand keeps default arguments and rejects misplaced brackets", () => {
  assert.deepEqual(parseCommand("/bin/prometheus --a=1 [ --b=2 ]"), ["/bin/prometheus", "--a=1", "--b=2"]);
  assert.deepEqual(parseCommand("sleep 10"), ["sleep", "10"]);
  assert.throws(() => parseCommand("[ x ]"), /default arguments/);
  assert.throws(() => parseCommand("x [ y ] z"), /default arguments/);
  assert.throws(() => parseCommand("   "), /empty command/);
});
