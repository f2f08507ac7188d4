/**
 * Span recording for one dispatch: a trace with a root span for the hook, child spans for each
 * handler (and anything a charm wraps), all kept in memory until the dispatch ends. Deliberately
 * tiny: no context propagation across processes and no sampling, since one hook is one trace, and
 * nothing here costs more than an object and two clock reads per span.
 */

/** An attribute value OTLP can carry. */
export type AttributeValue = string | number | boolean | readonly string[];

/** A finished or running span. */
export interface SpanData {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string | undefined;
  readonly name: string;
  /** OTLP span kind: 1 internal, 2 server, 3 client. */
  readonly kind: 1 | 2 | 3;
  readonly startNs: bigint;
  endNs?: bigint | undefined;
  readonly attributes: Record<string, AttributeValue>;
  readonly events: {
    readonly name: string;
    readonly timeNs: bigint;
    readonly attributes: Record<string, AttributeValue>;
  }[];
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  status: { code: 0 | 1 | 2; message?: string | undefined };
}

/** A span a charm can annotate and must end. */
export interface Span {
  readonly spanId: string;
  setAttribute(key: string, value: AttributeValue): void;
  addEvent(name: string, attributes?: Record<string, AttributeValue>): void;
  /** Marks the span as failed with `error`'s message. */
  recordError(error: unknown): void;
  end(): void;
}

/** Wall-clock nanoseconds: start of the process clock plus its monotonic offset. */
const ORIGIN_NS = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
function nowNs(): bigint {
  return ORIGIN_NS + process.hrtime.bigint();
}

/**
 * `bytes` random bytes as lowercase hex, from Math.random: trace and span ids need to be unique,
 * not secret (OpenTelemetry's JavaScript SDK draws them from Math.random too), and node:crypto
 * would add several milliseconds to every hook's start-up only to name its spans.
 */
function randomHex(bytes: number): string {
  let out = "";
  for (let i = 0; i < bytes; i++) out += ((Math.random() * 256) | 0).toString(16).padStart(2, "0");
  // W3C trace context: an all-zero id is invalid.
  return /^0+$/.test(out) ? randomHex(bytes) : out;
}

/** Collects the spans of one trace. */
export class SpanRecorder {
  readonly traceId = randomHex(16);
  readonly spans: SpanData[] = [];
  private readonly stack: SpanData[] = [];

  /** Starts a span under the innermost running span (the root when there is none). */
  start(name: string, attributes: Record<string, AttributeValue> = {}, kind: 1 | 2 | 3 = 1): Span {
    const parent = this.stack[this.stack.length - 1];
    const data: SpanData = {
      traceId: this.traceId,
      spanId: randomHex(8),
      parentSpanId: parent?.spanId,
      name,
      kind,
      startNs: nowNs(),
      attributes: { ...attributes },
      events: [],
      status: { code: 0 },
    };
    this.spans.push(data);
    this.stack.push(data);
    return {
      spanId: data.spanId,
      setAttribute: (k, v) => {
        data.attributes[k] = v;
      },
      addEvent: (n, attrs = {}) => {
        data.events.push({ name: n, timeNs: nowNs(), attributes: { ...attrs } });
      },
      recordError: (e) => {
        data.status = { code: 2, message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
      },
      end: () => {
        if (data.endNs !== undefined) return;
        data.endNs = nowNs();
        const i = this.stack.lastIndexOf(data);
        if (i >= 0) this.stack.splice(i, 1);
      },
    };
  }

  /** Runs `fn` inside a span, ending it (and recording a thrown error) when `fn` settles. */
  async run<T>(
    name: string,
    attributes: Record<string, AttributeValue>,
    fn: (span: Span) => T | Promise<T>,
  ): Promise<T> {
    const span = this.start(name, attributes);
    try {
      return await fn(span);
    } catch (e) {
      span.recordError(e);
      throw e;
    } finally {
      span.end();
    }
  }

  /** Synchronous {@link run}, for hook tools (which are synchronous). */
  runSync<T>(name: string, attributes: Record<string, AttributeValue>, fn: () => T): T {
    const span = this.start(name, attributes, 3);
    try {
      return fn();
    } catch (e) {
      span.recordError(e);
      throw e;
    } finally {
      span.end();
    }
  }

  /** Ends every span still running (at the end of the dispatch). */
  endAll(): void {
    const t = nowNs();
    for (const s of this.spans) if (s.endNs === undefined) s.endNs = t;
    this.stack.length = 0;
  }
}
