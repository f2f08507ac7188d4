/** Root export of the charm SDK: the core only. Subpaths: `./testing`, `./pebble`. */
export type { Databag, LocalIdentity, RelationSnapshot } from "./snapshot.js";
