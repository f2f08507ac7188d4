/** Test support for the interface libraries: a fake SDK model that records databag writes. */
import type { Databag, RelationSnapshot } from "@charmkit/ops";
import type { ModelLike, RelationLike } from "./sdk.js";

/** One recorded write. */
export interface RecordedWrite {
  readonly endpoint: string;
  readonly id: number;
  readonly bag: "app" | "unit";
  readonly data: Databag;
}

/** A fake model; app-bag writes on a non-leader throw, as the SDK's do. */
export function fakeModel(
  leader: boolean,
  relations: Record<string, RelationSnapshot[]>,
): ModelLike & { writes: RecordedWrite[] } {
  const writes: RecordedWrite[] = [];
  return {
    name: "cos",
    uuid: "f2c1b2a4-7a3e-4c1d-9b5e-1a2b3c4d5e6f",
    app: { name: "prometheus" },
    unit: { name: "prometheus/0", isLeader: () => leader },
    writes,
    relations(endpoint: string): RelationLike[] {
      return (relations[endpoint] ?? []).map((snap) => ({
        id: snap.id,
        snapshot: () => snap,
        localAppData: {
          update: (data) => {
            if (!leader) throw new Error("non-leader app write");
            writes.push({ endpoint, id: snap.id, bag: "app", data });
          },
        },
        localUnitData: { update: (data) => writes.push({ endpoint, id: snap.id, bag: "unit", data }) },
      }));
    },
  };
}
