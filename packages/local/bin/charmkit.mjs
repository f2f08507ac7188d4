#!/usr/bin/env node
// Entry of the `charmkit` CLI: runs the TypeScript sources through tsx, so no build step is needed.
import { register } from "tsx/esm/api";

register();
await import("../src/cli.ts");
