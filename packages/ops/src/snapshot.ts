/**
 * Plain, immutable views of relation data, shared by the SDK's Model and the interface libraries.
 *
 * Interface libraries do their parsing and rendering on these values (pure functions, no I/O),
 * so the same code runs inside a hook, in the state-transition harness, and in command-line tools
 * that read captured model states.
 */

/** A databag: Juju relation data is string to string. A missing key is absent, never `""`. */
export type Databag = Readonly<Record<string, string>>;

/** One relation as seen from the local unit, with every bag this unit may read. */
export interface RelationSnapshot {
  /** Juju relation id (the integer after `endpoint:`). */
  readonly id: number;
  /** Local endpoint name, e.g. `metrics-endpoint`. */
  readonly endpoint: string;
  /** Remote application name; `undefined` only when Juju no longer knows it (relation-broken). */
  readonly remoteApp: string | undefined;
  /** The remote application's bag. */
  readonly remoteAppData: Databag;
  /** Remote unit name (`app/N`) to that unit's bag, for the units currently in the relation. */
  readonly remoteUnitsData: Readonly<Record<string, Databag>>;
  /** The local application's bag, when this unit may read it (the leader); otherwise `undefined`. */
  readonly localAppData?: Databag | undefined;
  /** The local unit's bag. */
  readonly localUnitData?: Databag | undefined;
}

/** The identity of the local unit and model, as interface libraries need it. */
export interface LocalIdentity {
  readonly modelName: string;
  readonly modelUuid: string;
  readonly appName: string;
  readonly unitName: string;
  readonly charmName?: string | undefined;
}
