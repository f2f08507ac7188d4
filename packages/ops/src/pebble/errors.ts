/**
 * Typed errors of the Pebble client and layer logic. Each carries machine-readable fields so a
 * charm can branch on `instanceof` (and map the failure to a status message) without parsing text.
 */

/** Base of every Pebble-related error. */
export class PebbleError extends Error {
  override name = "PebbleError";
}

/** A layer or plan failed to parse or validate; `field` points at the offending entry. */
export class LayerError extends PebbleError {
  override name = "LayerError";
  /** Dotted location of the problem, e.g. `services.web.override`; empty for the whole layer. */
  readonly field: string;
  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super(field ? `${field}: ${message}` : message, options);
    this.field = field;
  }
}

/** The Pebble socket could not be reached (missing socket file, refused, reset). */
export class ConnectionError extends PebbleError {
  override name = "ConnectionError";
}

/** Pebble answered with an error envelope (or a body that is not a valid envelope). */
export class APIError extends PebbleError {
  override name = "APIError";
  /** HTTP status code, e.g. 400. */
  readonly code: number;
  /** HTTP status text, e.g. `Bad Request`. */
  readonly status: string;
  /** `result.kind` when Pebble gave one (`not-found`, `permission-denied`, ...). */
  readonly kind: string | undefined;
  /** The parsed body, when there was one. */
  readonly body: unknown;
  constructor(
    code: number,
    status: string,
    message: string,
    kind?: string,
    body?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
    this.status = status;
    this.kind = kind;
    this.body = body;
  }
}

/** A change finished with an error; the message includes the tasks' log lines. */
export class ChangeError extends PebbleError {
  override name = "ChangeError";
  /** The change's `err` text. */
  readonly err: string;
  /** The full change object as Pebble returned it. */
  readonly change: unknown;
  constructor(err: string, change: unknown, taskLogs: readonly string[] = []) {
    const logs = taskLogs.length ? `\n----- Logs from task -----\n${taskLogs.join("\n")}` : "";
    super(`${err}${logs}`);
    this.err = err;
    this.change = change;
  }
}

/** An executed command exited with a non-zero code. */
export class ExecError extends PebbleError {
  override name = "ExecError";
  readonly command: readonly string[];
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  constructor(command: readonly string[], exitCode: number, stdout: string, stderr: string) {
    super(`non-zero exit code ${exitCode} executing ${JSON.stringify(command)}`);
    this.command = command;
    this.exitCode = exitCode;
    this.stdout = stdout;
    this.stderr = stderr;
  }
}

/** A file operation failed for one path (Pebble reports these inside a 200 response). */
export class PathError extends PebbleError {
  override name = "PathError";
  /** `not-found`, `permission-denied`, `generic-file-error`, ... */
  readonly kind: string;
  /** The path the error is about, when known. */
  readonly path: string | undefined;
  constructor(kind: string, message: string, path?: string) {
    super(message);
    this.kind = kind;
    this.path = path;
  }
}

/** Waiting (for a change, a socket, a websocket) ran past its deadline. */
export class TimeoutError extends PebbleError {
  override name = "TimeoutError";
}
