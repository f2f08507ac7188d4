/** The runtime's user-facing error type. */

/** A user-facing error of a controller operation (unknown app, unit, endpoint, bad value). */
export class ControllerError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ControllerError";
  }
}
