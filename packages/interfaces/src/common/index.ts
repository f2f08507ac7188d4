/** Shared helpers of the interface libraries: Python-compatible JSON, parse results, URL rules. */
export { type PyJsonValue, PyJsonError, pyJsonDumps } from "./pyjson.js";
export {
  compareUnitNames,
  isRecord,
  type JsonParse,
  type ParseResult,
  parseJsonValue,
  type Rejection,
  reject,
} from "./result.js";
export { ensureScheme, joinUrl, splitUrl, type UrlParts } from "./url.js";
export {
  localIdentity,
  type ModelLike,
  type RelationLike,
  relationSnapshots,
  type WritableBag,
  writeAppData,
  writeUnitData,
} from "./sdk.js";
