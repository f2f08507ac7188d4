/**
 * Test support: the charm's config as a hook loads it, from option values as Juju would hand
 * them over: through the SDK's `Config` over the options of ../charmcraft.yaml (types and
 * defaults), then the charm's rules.
 */
import { join } from "node:path";
import { Config, type ConfigValue } from "@charmkit/ops";
import { loadCharmMeta } from "@charmkit/ops/internal";
import { loadConfig, type ParsedConfig } from "./config.js";

const META = await loadCharmMeta(join(import.meta.dirname, ".."));

/** The parsed config for `values` (the options set; the others keep their defaults). */
export function configOf(values: Readonly<Record<string, ConfigValue>> = {}): ParsedConfig {
  return loadConfig(new Config(META, () => ({ ...values })));
}
