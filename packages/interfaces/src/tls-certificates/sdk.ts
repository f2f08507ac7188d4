/**
 * The requirer bound to the SDK's Model, in unit mode (each unit its own key, CSR and
 * certificate), as Prometheus uses the library.
 *
 * `read` only reads (the key from its Juju secret, our CSRs, the provider's certificates) and decides;
 * `publish` writes: it creates the key secret when there is none and adds a CSR when the decision
 * asks for one. The key secret has the Python library's label and content key, so after a swap the unit
 * keeps the key (and the certificate) the Python charm had.
 */
import type { RelationSnapshot } from "@charmkit/ops";
import type { RelationLike } from "../common/sdk.js";
import type { CsrAttributes, CsrInfo } from "./attributes.js";
import { loadX509Tools } from "./load.js";
import { generatePrivateKeyPem, isUsablePrivateKey } from "./pki.js";
import { decideRequirer, type RequirerDecision } from "./requirer.js";
import { buildCsrsBag, type CsrEntry, parseCertificatesBag, parseCsrsBag, TLS_LIBID } from "./wire.js";

/** Default endpoint name on the requirer side. */
export const CERTIFICATES_ENDPOINT = "certificates";

/** The part of the SDK Model the requirer uses (structural, so tests can pass a fake). */
export interface TlsModelLike {
  readonly unit: {
    readonly name: string;
    addSecret(content: Record<string, string>, fields: { label: string }): unknown;
  };
  getSecret(lookup: { label: string }): {
    getContent(opts?: { refresh?: boolean }): Record<string, string>;
    setContent(content: Record<string, string>): void;
  };
  relations(endpoint: string): readonly RelationLike[];
}

/** What {@link TlsCertificatesRequirer.read} found. */
export type TlsRead =
  | { readonly kind: "no-relation" }
  | {
      readonly kind: "related";
      readonly relationId: number;
      readonly remoteApp: string | undefined;
      readonly desired: CsrAttributes;
      readonly privateKey: string | undefined;
      readonly decision: RequirerDecision;
      /** Why the provider's bag could not be read, if so (then no certificate is used). */
      readonly providerError?: string | undefined;
    };

/** The label of the unit's private-key secret, as the Python library names it in unit mode. */
export function privateKeySecretLabel(unitName: string, endpoint: string): string {
  return `${TLS_LIBID}-private-key-${unitName.split("/")[1] ?? "0"}-${endpoint}`;
}

function isNotFound(e: unknown): boolean {
  return (e as { name?: string }).name === "SecretNotFoundError";
}

/** Options of {@link TlsCertificatesRequirer}. */
export interface TlsRequirerOptions {
  readonly endpoint?: string | undefined;
  readonly renewalFraction?: number | undefined;
  readonly now?: (() => Date) | undefined;
}

/** A unit's certificate over `tls-certificates` (v4 wire format). */
export class TlsCertificatesRequirer {
  readonly endpoint: string;
  constructor(
    private readonly model: TlsModelLike,
    private readonly opts: TlsRequirerOptions = {},
  ) {
    this.endpoint = opts.endpoint ?? CERTIFICATES_ENDPOINT;
  }

  private relation(): RelationLike | undefined {
    return this.model.relations(this.endpoint)[0];
  }

  /** The private key from its secret, or `undefined` when there is none (or it is unusable). */
  readPrivateKey(): string | undefined {
    let content: Record<string, string>;
    try {
      content = this.model
        .getSecret({ label: privateKeySecretLabel(this.model.unit.name, this.endpoint) })
        .getContent({
          refresh: true,
        });
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
    const key = content["private-key"];
    return key !== undefined && isUsablePrivateKey(key) ? key : undefined;
  }

  /** Reads the key and both bags and decides; writes nothing. */
  async read(desired: CsrAttributes): Promise<TlsRead> {
    const rel = this.relation();
    if (!rel) return { kind: "no-relation" };
    const snap: RelationSnapshot = rel.snapshot();
    const privateKey = this.readPrivateKey();
    const own = parseCsrsBag(snap.localUnitData ?? {});
    const entries: CsrEntry[] = own.ok ? own.value : [];
    const ownCsrs: { entry: CsrEntry; info: CsrInfo | undefined }[] = [];
    if (entries.length > 0) {
      const { parseCsr } = await loadX509Tools();
      for (const entry of entries) ownCsrs.push({ entry, info: parseCsr(entry.csr, entry.isCa) });
    }
    const certs = parseCertificatesBag(snap.remoteAppData);
    const decision = decideRequirer({
      desired,
      privateKey,
      ownCsrs,
      certificates: certs.ok ? certs.value : [],
      now: this.opts.now?.() ?? new Date(),
      renewalFraction: this.opts.renewalFraction,
    });
    return {
      kind: "related",
      relationId: rel.id,
      remoteApp: snap.remoteApp,
      desired,
      privateKey,
      decision,
      providerError: certs.ok ? undefined : certs.error,
    };
  }

  /**
   * Carries out the decision: creates the key secret if missing, generates a CSR when one is needed,
   * and writes our CSR list (unchanged lists are not rewritten by the SDK).
   */
  async publish(read: TlsRead): Promise<void> {
    if (read.kind !== "related") return;
    const rel = this.relation();
    if (!rel || rel.id !== read.relationId) return;
    let key = read.privateKey;
    if (key === undefined) {
      key = generatePrivateKeyPem();
      const label = privateKeySecretLabel(this.model.unit.name, this.endpoint);
      try {
        // A secret that exists but holds no usable key is overwritten rather than duplicated.
        this.model.getSecret({ label }).setContent({ "private-key": key });
      } catch (e) {
        if (!isNotFound(e)) throw e;
        this.model.unit.addSecret({ "private-key": key }, { label });
      }
    }
    const csrs = [...read.decision.keep];
    if (read.decision.requestNew || read.privateKey === undefined) {
      const { generateCsr } = await loadX509Tools();
      csrs.push({ csr: await generateCsr(read.desired, key), isCa: read.desired.isCa });
    }
    rel.localUnitData.update(buildCsrsBag(csrs));
  }
}
