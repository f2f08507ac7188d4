/** Root export of the local model runtime: the controller, bundles and charm metadata loading. */
export { type Bundle, type BundleApp, BundleError, loadBundle, validateBundle } from "./bundle.js";
export { type CharmMeta, CharmMetaError, loadCharmMeta } from "./charm-meta.js";
export {
  type ActionResult,
  type ContainerServer,
  type ContainerServerOptions,
  Controller,
  ControllerError,
  type ControllerOptions,
  type ExecOutcome,
  type HookRecord,
  type ModelStatus,
  type UnitInfo,
} from "./controller.js";
export { ApiError, callDaemon, controlSocket } from "./daemon.js";
export { podNetnsPath, unitFqdn } from "./pods/naming.js";
