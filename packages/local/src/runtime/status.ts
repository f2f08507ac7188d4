/**
 * The `juju status`-like view of a model: applications (with the status Juju derives when the
 * charm set none), units, and relations with their provider and requirer sides.
 */
import type { CharmMeta } from "../charm-meta.js";
import type { StatusValue } from "../hooktools/tools.js";
import { unitFqdn } from "../pods/naming.js";
import { byUnitNumber, type ModelFile } from "./model.js";

/** What `status()` returns: a `juju status`-like view, all lists sorted. */
export interface ModelStatus {
  readonly model: { name: string; uuid: string };
  readonly applications: {
    name: string;
    charm: string;
    version: string;
    scale: number;
    status: string;
    message: string;
    leader?: string | undefined;
  }[];
  readonly units: {
    name: string;
    workload: string;
    agent: string;
    address: string;
    /** The unit's FQDN, resolvable in every pod and on the host. */
    fqdn: string;
    message: string;
    leader: boolean;
    ports: string[];
  }[];
  readonly relations: { id: number; provider: string; requirer: string; interface: string; peer: boolean }[];
}

/** The most severe of `list`, as Juju ranks statuses for an application. */
function worst(list: StatusValue[]): StatusValue {
  const rank = ["error", "blocked", "maintenance", "waiting", "active", "unknown"];
  let best: StatusValue = { status: "unknown", message: "" };
  for (const s of list) if (rank.indexOf(s.status) < rank.indexOf(best.status)) best = s;
  return best;
}

/** Builds the status view of `model`; `metaOf` gives a deployed application's metadata. */
export function modelStatus(model: ModelFile, metaOf: (app: string) => CharmMeta | undefined): ModelStatus {
  const apps = Object.values(model.apps)
    .filter((a) => !a.dying)
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const units = Object.values(model.units).sort((a, b) => byUnitNumber(a.name, b.name));
  return {
    model: { name: model.name, uuid: model.uuid },
    applications: apps.map((a) => {
      const us = units.filter((u) => u.app === a.name && !u.dying);
      const err = us.find((u) => u.error);
      const st = err
        ? { status: "error", message: err.error ?? "" }
        : a.status.status !== "unknown"
          ? a.status
          : worst(us.map((u) => u.status));
      return {
        name: a.name,
        charm: metaOf(a.name)?.name ?? a.charm,
        version: a.workloadVersion,
        scale: us.length,
        status: st.status,
        message: st.message,
        leader: a.leader,
      };
    }),
    units: units.map((u) => ({
      name: u.name,
      workload: u.error ? "error" : u.dying ? "terminated" : u.status.status,
      agent: u.agent,
      address: u.address,
      fqdn: unitFqdn(u.name, model.name),
      message: u.error ?? u.status.message,
      leader: model.apps[u.app]?.leader === u.name,
      ports: [...u.ports].sort(),
    })),
    relations: Object.values(model.relations)
      .sort((a, b) => a.id - b.id)
      .map((r) => {
        const prov =
          r.sides.find((s) => metaOf(s.app)?.endpoints[s.endpoint]?.role === "provides") ?? r.sides[0]!;
        const req = r.sides.find((s) => s !== prov) ?? prov;
        return {
          id: r.id,
          provider: `${prov.app}:${prov.endpoint}`,
          requirer: `${req.app}:${req.endpoint}`,
          interface: r.interface,
          peer: r.peer,
        };
      }),
  };
}
