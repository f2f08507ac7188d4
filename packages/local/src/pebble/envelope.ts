/**
 * Pebble's JSON response envelope (sync / async / error) and the typed API error the handlers
 * throw. Handlers return {@link SyncResult} or {@link AsyncResult}, or throw {@link ApiError}; the
 * server turns each into exactly the bytes Pebble sends.
 */
import { STATUS_CODES } from "node:http";

/** Error kinds Pebble puts in `result.kind`. */
export type ErrorKind =
  | "login-required"
  | "no-default-services"
  | "not-found"
  | "permission-denied"
  | "generic-file-error"
  | "system-restart"
  | "daemon-restart";

/** An error a handler throws to answer with Pebble's error envelope. */
export class ApiError extends Error {
  override name = "ApiError";
  readonly status: number;
  readonly kind: ErrorKind | undefined;
  readonly value: unknown;
  constructor(status: number, message: string, kind?: ErrorKind, value?: unknown) {
    super(message);
    this.status = status;
    this.kind = kind;
    this.value = value;
  }
}

/** A synchronous answer; `status` defaults to 200. */
export interface SyncResult {
  readonly type: "sync";
  readonly result: unknown;
  readonly status?: number;
}

/** An asynchronous answer naming the change that does the work. */
export interface AsyncResult {
  readonly type: "async";
  readonly change: string;
  readonly result?: unknown;
}

/** A handler's answer that is not JSON (the multipart file read). */
export interface RawResult {
  readonly type: "raw";
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export type HandlerResult = SyncResult | AsyncResult | RawResult;

/** Builds a sync result. */
export function sync(result: unknown, status = 200): SyncResult {
  return { type: "sync", result, status };
}

/** Builds an async result. */
export function async(change: string, result?: unknown): AsyncResult {
  return { type: "async", change, result };
}

/** The JSON body of a sync response. */
export function syncBody(result: unknown, status = 200): Record<string, unknown> {
  return { type: "sync", "status-code": status, status: STATUS_CODES[status] ?? "", result: result ?? null };
}

/** The JSON body of an async response (always 202 Accepted). */
export function asyncBody(change: string, result?: unknown): Record<string, unknown> {
  return { type: "async", "status-code": 202, status: "Accepted", change, result: result ?? null };
}

/** The JSON body of an error response. */
export function errorBody(err: ApiError): Record<string, unknown> {
  const result: Record<string, unknown> = { message: err.message };
  if (err.kind) result.kind = err.kind;
  if (err.value !== undefined) result.value = err.value;
  return { type: "error", "status-code": err.status, status: STATUS_CODES[err.status] ?? "", result };
}

/** Shorthand for a 400 Bad Request. */
export function badRequest(message: string, kind?: ErrorKind): ApiError {
  return new ApiError(400, message, kind);
}

/** Shorthand for a 404 Not Found. */
export function notFound(message: string): ApiError {
  return new ApiError(404, message, "not-found");
}
