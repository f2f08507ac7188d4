/**
 * Thin bindings of the pure interface functions to the SDK's `Model`: read every relation of an
 * endpoint as snapshots, and write built bags through the Model (which sends only changed keys).
 *
 * The types are structural subsets of `@charmkit/ops`' `Model`/`Relation`/`RelationDataBag`, so
 * the interface libraries need no runtime import of the SDK and tests can pass small fakes.
 */
import type { Databag, LocalIdentity, RelationSnapshot } from "@charmkit/ops";

/** The part of a relation databag the helpers write through. */
export interface WritableBag {
  update(partial: Readonly<Record<string, string>>): void;
}

/** The part of an SDK `Relation` the helpers use. */
export interface RelationLike {
  readonly id: number;
  snapshot(): RelationSnapshot;
  readonly localAppData: WritableBag;
  readonly localUnitData: WritableBag;
}

/** The part of the SDK `Model` the helpers use. */
export interface ModelLike {
  readonly name: string;
  readonly uuid: string;
  readonly app: { readonly name: string };
  readonly unit: { readonly name: string; isLeader(): boolean };
  relations(endpoint: string): readonly RelationLike[];
}

/** Every active relation of `endpoint` as a snapshot, by ascending id. */
export function relationSnapshots(model: ModelLike, endpoint: string): RelationSnapshot[] {
  return model.relations(endpoint).map((r) => r.snapshot());
}

/** The local identity the builders need. */
export function localIdentity(model: ModelLike): LocalIdentity {
  return { modelName: model.name, modelUuid: model.uuid, appName: model.app.name, unitName: model.unit.name };
}

/**
 * Leader only: writes `build(relation)` into the local app bag of every relation of `endpoint`.
 * On a non-leader it does nothing and returns `false`, because Juju refuses app-bag writes there.
 */
export function writeAppData(
  model: ModelLike,
  endpoint: string,
  build: (rel: RelationSnapshot) => Databag | undefined,
): boolean {
  if (!model.unit.isLeader()) return false;
  for (const rel of model.relations(endpoint)) {
    const bag = build(rel.snapshot());
    if (bag) rel.localAppData.update(bag);
  }
  return true;
}

/** Writes `bag` into this unit's bag on every relation of `endpoint` (allowed on every unit). */
export function writeUnitData(model: ModelLike, endpoint: string, bag: Databag): void {
  for (const rel of model.relations(endpoint)) rel.localUnitData.update(bag);
}
