/**
 * Whether a port speaks TLS: `up` prints an opened port as an https URL when it does (Prometheus
 * once a certificate is issued), since a Juju open-port names a protocol and a number, never a
 * scheme.
 */
import { connect } from "node:tls";

/**
 * Attempts a TLS handshake with `host:port` (no verification: only the protocol is asked) and
 * resolves "https" when it completes, "http" when the peer answers otherwise, closes or does not
 * answer within `timeoutMs`.
 */
export function schemeOf(host: string, port: number, timeoutMs = 2000): Promise<"https" | "http"> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, rejectUnauthorized: false, timeout: timeoutMs });
    const done = (scheme: "https" | "http") => {
      socket.destroy();
      resolve(scheme);
    };
    socket.once("secureConnect", () => done("https"));
    socket.once("error", () => done("http"));
    socket.once("timeout", () => done("http"));
    socket.once("close", () => done("http"));
  });
}
