/**
 * Charm tracing: every dispatch is one trace (a root span for the hook, a span per handler, a
 * client span per hook tool and Pebble call), sent as OTLP/JSON to the destination a charm sets,
 * usually from a `tracing` relation (see `@charmkit/interfaces/tracing`'s `CharmTracing`). This is
 * what `ops[tracing]` gives Python charms, with its resource attributes and span names, so traces
 * of a swapped charm look alike in Tempo.
 *
 * The dispatcher creates one {@link CharmTracing} per dispatch, hands it to the charm as
 * `framework.tracing`, and calls {@link CharmTracing.finish} last. Recording costs an object per
 * span; nothing is read from or written to disk beyond the small state file, and nothing is sent
 * when no destination is set.
 */
import {
  type Destination,
  loadTracingState,
  MAX_BUFFERED,
  postTraces,
  saveTracingState,
  type TracingState,
} from "./export.js";
import { encodeSpans, type TracingResource } from "./otlp.js";
import { type AttributeValue, type Span, SpanRecorder } from "./spans.js";

export { type Destination, EXPORT_TIMEOUT_MS, MAX_BUFFERED, postTraces, TRACING_FILE } from "./export.js";
export { encodeSpans, resourceAttributes, SCOPE_NAME, type TracingResource } from "./otlp.js";
export type { AttributeValue, Span, SpanData } from "./spans.js";

/** Options of {@link CharmTracing}. */
export interface CharmTracingOptions {
  readonly resource: TracingResource;
  /** Where the destination and unsent traces are kept; none in the testing harness. */
  readonly stateDir?: string | undefined;
  /** Sends one body; defaults to {@link postTraces}. Tests pass a recorder. */
  readonly send?: ((dest: Destination, body: string) => Promise<boolean>) | undefined;
  /** Name of the root span, e.g. the hook name. */
  readonly rootName: string;
  readonly rootAttributes?: Record<string, AttributeValue> | undefined;
}

/** What {@link CharmTracing.finish} did. */
export interface FinishResult {
  readonly sent: number;
  readonly buffered: number;
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The tracing of one dispatch. */
export class CharmTracing {
  private readonly recorder = new SpanRecorder();
  private readonly state: TracingState;
  private readonly initial: string;
  private readonly root: Span;
  private finished = false;

  constructor(private readonly opts: CharmTracingOptions) {
    this.state = opts.stateDir === undefined ? { pending: [] } : loadTracingState(opts.stateDir);
    this.initial = JSON.stringify(this.state);
    this.root = this.recorder.start(opts.rootName, opts.rootAttributes ?? {}, 2);
  }

  /** The charm class's name, as spans name it. */
  get charmType(): string {
    return this.opts.resource.charmType;
  }

  /** This dispatch's trace id (hex), e.g. for logs. */
  get traceId(): string {
    return this.recorder.traceId;
  }

  /** Where traces go, if anywhere. */
  get destination(): Destination | undefined {
    return this.state.destination;
  }

  /**
   * Sets where traces go (an `http(s)://.../v1/traces` URL and, for https, the CA bundle), or stops
   * sending with `undefined`. Kept across dispatches until changed.
   */
  setDestination(dest: Destination | undefined): void {
    if (dest && !/^https?:\/\//.test(dest.url))
      throw new RangeError(`tracing destination must be http(s): ${dest.url}`);
    this.state.destination = dest ? { url: dest.url, ...(dest.ca ? { ca: dest.ca } : {}) } : undefined;
  }

  /** Starts a span under the current one; end it yourself. */
  startSpan(name: string, attributes: Record<string, AttributeValue> = {}): Span {
    return this.recorder.start(name, attributes);
  }

  /** Runs `fn` in a span that ends when `fn` settles and records a thrown error. */
  span<T>(
    name: string,
    attributes: Record<string, AttributeValue>,
    fn: (span: Span) => T | Promise<T>,
  ): Promise<T> {
    return this.recorder.run(name, attributes, fn);
  }

  /**
   * A proxy of a hook-tool backend whose calls become client spans named after the tool
   * (`relation-get`...), as ops names its subprocess spans; `juju-log` is not traced (ops does not
   * either), and the Pebble clients it hands out trace their calls as `pebble <method>`.
   */
  wrapBackend<T extends object>(backend: T): T {
    const recorder = this.recorder;
    return new Proxy(backend, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== "function" || typeof prop !== "string" || prop === "jujuLog") return v;
        const fn = v as (...a: unknown[]) => unknown;
        if (prop === "pebble")
          return (...args: unknown[]) => wrapPebble(recorder, fn.apply(target, args) as object);
        return (...args: unknown[]) => recorder.runSync(kebab(prop), {}, () => fn.apply(target, args));
      },
    });
  }

  /**
   * Ends the trace (recording `error` on the root span) and sends it with anything buffered, newest
   * first, stopping at the first failure; what is left is kept for the next dispatch.
   */
  async finish(error?: unknown): Promise<FinishResult> {
    if (this.finished) return { sent: 0, buffered: this.state.pending.length };
    this.finished = true;
    if (error !== undefined) this.root.recordError(error);
    this.root.end();
    this.recorder.endAll();
    const dest = this.state.destination;
    let sent = 0;
    if (dest) {
      const queue = [encodeSpans(this.recorder.spans, this.opts.resource), ...this.state.pending.reverse()];
      const send = this.opts.send ?? postTraces;
      const left: string[] = [];
      for (const body of queue) {
        if (left.length === 0 && (await send(dest, body))) sent++;
        else left.push(body);
      }
      this.state.pending = left.reverse().slice(-MAX_BUFFERED);
    } else {
      // Without a destination nothing is kept: there is nowhere to send it.
      this.state.pending = [];
    }
    if (this.opts.stateDir !== undefined && JSON.stringify(this.state) !== this.initial) {
      try {
        saveTracingState(this.opts.stateDir, this.state);
      } catch {
        // Telemetry must never fail a hook.
      }
    }
    return { sent, buffered: this.state.pending.length };
  }
}

function wrapPebble(recorder: SpanRecorder, client: object): object {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== "function" || typeof prop !== "string" || prop === "then") return v;
      const fn = v as (...a: unknown[]) => unknown;
      return (...args: unknown[]) => recorder.run(`pebble ${prop}`, {}, () => fn.apply(target, args));
    },
  });
}
