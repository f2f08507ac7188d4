/**
 * `@charmkit/ops/internal`: pieces of the SDK that the repository's own packages share (the local
 * runtime, the build tooling, the interface libraries) but charms do not use. No stability promise:
 * a change here is a change inside the repository, not to the SDK's public surface.
 */
export {
  boundaryOf,
  decodeMultipart,
  encodeMultipart,
  MIN_BOUNDARY,
  multipartContentType,
  newBoundary,
  type Part,
  type PartInput,
} from "./pebble/multipart.js";
