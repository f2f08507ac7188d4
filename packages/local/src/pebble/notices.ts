/**
 * Pebble notices: custom notices added through the API (what Juju turns into
 * `<container>-pebble-custom-notice` events), with Pebble's key/data validation, occurrence
 * counting, repeat-after, filtering and long-polling.
 */
import { EventEmitter } from "node:events";
import { ApiError, badRequest } from "./envelope.js";
import { parseDuration } from "./duration.js";

const KEY = /^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+(-[a-z0-9]+)*)+(\/[a-z0-9]+(-[a-z0-9]+)*)+$/;
const MAX_KEY = 256;
const MAX_DATA = 4096;

/** A notice as the API reports it. */
export interface Notice {
  id: string;
  "user-id"?: number;
  type: string;
  key: string;
  "first-occurred": string;
  "last-occurred": string;
  "last-repeated": string;
  occurrences: number;
  "last-data"?: Record<string, string>;
  "repeat-after"?: string;
  "expire-after"?: string;
}

/** Filter of `GET /v1/notices`. */
export interface NoticeFilter {
  types?: readonly string[];
  keys?: readonly string[];
  /** Only notices last repeated strictly after this time. */
  after?: Date;
}

interface Stored {
  notice: Notice;
  lastRepeated: Date;
}

/** The notice store of one server. */
export class NoticeStore {
  readonly #byKey = new Map<string, Stored>();
  readonly #events = new EventEmitter();
  #nextId = 1;

  constructor() {
    this.#events.setMaxListeners(0);
  }

  /**
   * Records an occurrence of a notice (adding it the first time).
   *
   * @throws ApiError 400 for a type other than custom, a bad key, oversized data or a bad duration.
   */
  add(body: Record<string, unknown>): string {
    const { type, key, data } = body;
    if (type !== "custom")
      throw badRequest(`cannot add notice of type ${JSON.stringify(type)} (can only add "custom" notices)`);
    if (typeof key !== "string" || !KEY.test(key)) {
      throw badRequest(
        `invalid custom notice key ${JSON.stringify(key)}: must be in "example.com/path" format`,
      );
    }
    if (Buffer.byteLength(key) > MAX_KEY) throw badRequest(`notice key too long (maximum ${MAX_KEY} bytes)`);
    let lastData: Record<string, string> | undefined;
    if (data !== undefined && data !== null) {
      if (typeof data !== "object" || Array.isArray(data))
        throw badRequest("notice data must be a JSON object");
      if (Buffer.byteLength(JSON.stringify(data)) > MAX_DATA) {
        throw badRequest(`total size of data must be ${MAX_DATA} bytes or less`);
      }
      lastData = {};
      for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
        if (typeof v !== "string")
          throw badRequest(`notice data value for ${JSON.stringify(k)} must be a string`);
        lastData[k] = v;
      }
    }
    let repeatAfter: number | undefined;
    if (body["repeat-after"] !== undefined) {
      try {
        repeatAfter = parseDuration(String(body["repeat-after"]));
      } catch (e) {
        throw badRequest(`invalid repeat-after: ${(e as Error).message}`);
      }
    }
    const now = new Date();
    const stamp = now.toISOString();
    const id = `${type}:${key}`;
    const existing = this.#byKey.get(id);
    if (!existing) {
      const notice: Notice = {
        id: String(this.#nextId++),
        type,
        key,
        "first-occurred": stamp,
        "last-occurred": stamp,
        "last-repeated": stamp,
        occurrences: 1,
      };
      if (lastData) notice["last-data"] = lastData;
      if (body["repeat-after"] !== undefined) notice["repeat-after"] = String(body["repeat-after"]);
      this.#byKey.set(id, { notice, lastRepeated: now });
      this.#events.emit("notice");
      return notice.id;
    }
    const n = existing.notice;
    n.occurrences++;
    n["last-occurred"] = stamp;
    if (lastData) n["last-data"] = lastData;
    else delete n["last-data"];
    if (body["repeat-after"] !== undefined) n["repeat-after"] = String(body["repeat-after"]);
    const sinceRepeat = now.getTime() - existing.lastRepeated.getTime();
    // Without repeat-after every occurrence repeats the notice; with it, only once it elapsed.
    if (repeatAfter === undefined || sinceRepeat >= repeatAfter) {
      existing.lastRepeated = now;
      n["last-repeated"] = stamp;
      this.#events.emit("notice");
    }
    return n.id;
  }

  /** Notices matching the filter, ordered by last-repeated time. */
  list(filter: NoticeFilter = {}): Notice[] {
    return [...this.#byKey.values()]
      .filter((s) => !filter.types?.length || filter.types.includes(s.notice.type))
      .filter((s) => !filter.keys?.length || filter.keys.includes(s.notice.key))
      .filter((s) => !filter.after || s.lastRepeated.getTime() > filter.after.getTime())
      .sort(
        (a, b) =>
          a.lastRepeated.getTime() - b.lastRepeated.getTime() || Number(a.notice.id) - Number(b.notice.id),
      )
      .map((s) => structuredClone(s.notice));
  }

  /** Like {@link list}, but waits up to `timeoutMs` for a first match when there is none yet. */
  async wait(filter: NoticeFilter, timeoutMs: number, signal?: AbortSignal): Promise<Notice[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.list(filter);
      const left = deadline - Date.now();
      if (found.length || left <= 0 || signal?.aborted) return found;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.#events.off("notice", done);
          signal?.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.#events.once("notice", done);
        signal?.addEventListener("abort", done, { once: true });
      });
    }
  }

  /** One notice by ID. */
  get(id: string): Notice {
    for (const s of this.#byKey.values()) if (s.notice.id === id) return structuredClone(s.notice);
    throw new ApiError(404, `cannot find notice with ID "${id}"`, "not-found");
  }
}
