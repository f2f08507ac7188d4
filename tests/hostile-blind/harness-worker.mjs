// Worker-thread entry for the charm harness (harness-worker.ts): registers tsx in this thread,
// since a worker does not inherit the TypeScript loader of the test process.
import { register } from "tsx/esm/api";

register();
await import("./harness-worker.ts");
