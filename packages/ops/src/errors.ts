/**
 * The SDK's error hierarchy. Every failure a charm can catch is one of these classes, with
 * machine-readable fields and the underlying `cause`, so handlers can branch on `instanceof`
 * instead of matching message text.
 */

/** Base of every model-level error (anything that comes from talking to Juju or checking its rules). */
export class ModelError extends Error {
  override name = "ModelError";
}

/** A hook tool exited non-zero (or could not be started). */
export class HookCommandError extends ModelError {
  override name = "HookCommandError";
  /** The tool name, e.g. `relation-get`. */
  readonly cmd: string;
  /** Full argv after the tool name, for diagnostics. */
  readonly args: readonly string[];
  /** Process exit code; `null` when the process could not be spawned or was killed. */
  readonly exitCode: number | null;
  /** The tool's stderr, trimmed. */
  readonly stderr: string;

  constructor(
    cmd: string,
    args: readonly string[],
    exitCode: number | null,
    stderr: string,
    options?: { cause?: unknown },
  ) {
    const detail = stderr.trim() || (exitCode === null ? "could not run" : `exit status ${exitCode}`);
    super(`${cmd}: ${detail}`, options);
    this.cmd = cmd;
    this.args = args;
    this.exitCode = exitCode;
    this.stderr = stderr.trim();
  }
}

/** `relation-*` / `network-get` reported that the relation no longer exists. */
export class RelationNotFoundError extends HookCommandError {
  override name = "RelationNotFoundError";
}

/** Juju refused the call for lack of permission (non-leader write, no secret grant, ...). */
export class PermissionDeniedError extends HookCommandError {
  override name = "PermissionDeniedError";
}

/** `secret-*` reported the secret (or revision) does not exist. */
export class SecretNotFoundError extends HookCommandError {
  override name = "SecretNotFoundError";
}

/** A hook tool printed output the SDK could not parse. */
export class HookOutputError extends ModelError {
  override name = "HookOutputError";
  readonly cmd: string;
  readonly stdout: string;
  constructor(cmd: string, stdout: string, reason: string, options?: { cause?: unknown }) {
    super(`${cmd}: unexpected output (${reason}): ${stdout.slice(0, 200)}`, options);
    this.cmd = cmd;
    this.stdout = stdout;
  }
}

/**
 * A relation databag access that Juju's rules forbid, detected in the client before any hook
 * tool runs (Juju may otherwise only fail the whole hook at commit time).
 */
export class RelationDataAccessError extends ModelError {
  override name = "RelationDataAccessError";
  readonly relationId: number;
  readonly endpoint: string;
  constructor(relationId: number, endpoint: string, message: string) {
    super(`relation ${endpoint}:${relationId}: ${message}`);
    this.relationId = relationId;
    this.endpoint = endpoint;
  }
}

/** A databag value or key that is not a string. */
export class RelationDataTypeError extends ModelError {
  override name = "RelationDataTypeError";
}

/** `Model.relation(endpoint)` was asked for one relation but the endpoint has several. */
export class TooManyRelatedAppsError extends ModelError {
  override name = "TooManyRelatedAppsError";
  readonly endpoint: string;
  readonly count: number;
  constructor(endpoint: string, count: number) {
    super(
      `endpoint "${endpoint}" has ${count} relations; pass a relation id to model.relation() or use model.relations()`,
    );
    this.endpoint = endpoint;
    this.count = count;
  }
}

/** A config key that the charm's metadata does not declare. */
export class UnknownConfigKeyError extends ModelError {
  override name = "UnknownConfigKeyError";
  readonly key: string;
  constructor(key: string) {
    super(`config option "${key}" is not declared in charmcraft.yaml/config.yaml`);
    this.key = key;
  }
}

/**
 * A config value that does not match its option's declared type ({@link Config.load}); the message
 * names the option and what to set, ready for a Blocked status.
 */
export class InvalidConfigError extends ModelError {
  override name = "InvalidConfigError";
  readonly option: string;
  readonly value: unknown;
  constructor(option: string, value: unknown, expected: string) {
    super(`config option ${option}=${JSON.stringify(value)} is invalid: set ${expected}`);
    this.option = option;
    this.value = value;
  }
}

/**
 * Action parameters that do not match the action's declared schema ({@link ActionEvent.loadParams});
 * the message names the parameter, ready for `event.fail()`.
 */
export class InvalidParamsError extends ModelError {
  override name = "InvalidParamsError";
  readonly param: string;
  constructor(param: string, message: string) {
    super(`parameter ${param}: ${message}`);
    this.param = param;
  }
}

/** The JUJU_* environment is missing a required variable or holds a malformed one. */
export class ContextError extends Error {
  override name = "ContextError";
  /** The environment variable at fault. */
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.variable = variable;
  }
}

/** The charm's metadata files are missing or malformed. */
export class MetadataError extends Error {
  override name = "MetadataError";
  readonly file: string;
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(`${file}: ${message}`, options);
    this.file = file;
  }
}

/** A charm wiring mistake (unknown endpoint in observe(), defer of a non-deferrable event, ...). */
export class CharmDefinitionError extends Error {
  override name = "CharmDefinitionError";
}
