#!/usr/bin/env python3
"""Cross-check our tls-certificates wire format with Canonical's Python library (run by hand).

Usage: tls_certificates.py gen LIB_PY OUT_DIR
       tls_certificates.py check LIB_PY OURS_JSON

LIB_PY is `lib/charms/tls_certificates_interface/v4/tls_certificates.py` from a checkout of
canonical/tls-certificates-interface or any charm that vendors it; it needs `cryptography` and
`pydantic`, and only its pure parts are used (a stand-in `ops` module is put on the path).

gen writes OUT_DIR/python-requirer-provider.json: a key, the requirer unit bag and the provider app
bag exactly as the Python library dumps them, for our unit tests to read.
check loads what our library wrote (OURS_JSON, from `node --import tsx scripts/crosscheck/tls-ours.ts`,
which answers the Python CSR of the gen output) with the Python models and checks it the way a
Python provider and requirer would; one line per check, exit code 1 on any failure.
"""

import json
import sys
import types
from datetime import timedelta
from pathlib import Path


def install_ops_stand_in() -> None:
    """The library imports ops names at module level; none of them is used by the pure parts."""

    class _Any:
        def __init__(self, *a, **k):
            pass

    class ModelError(Exception):
        pass

    class SecretNotFoundError(ModelError):
        pass

    class JujuVersion:
        has_secrets = True

        @staticmethod
        def from_environ():
            return JujuVersion()

    ops = types.ModuleType("ops")
    for name in ("BoundEvent", "CharmBase", "CharmEvents", "Secret", "SecretExpiredEvent", "SecretRemoveEvent"):
        setattr(ops, name, _Any)
    ops.ModelError = ModelError
    ops.SecretNotFoundError = SecretNotFoundError
    framework = types.ModuleType("ops.framework")
    for name in ("EventBase", "EventSource", "Handle", "Object"):
        setattr(framework, name, _Any)
    jujuversion = types.ModuleType("ops.jujuversion")
    jujuversion.JujuVersion = JujuVersion
    model = types.ModuleType("ops.model")
    model.Application = model.Relation = model.Unit = _Any
    model.ModelError = ModelError
    model.SecretNotFoundError = SecretNotFoundError
    sys.modules.update({"ops": ops, "ops.framework": framework, "ops.jujuversion": jujuversion, "ops.model": model})


def load_lib(path: str):
    install_ops_stand_in()
    import importlib.util

    spec = importlib.util.spec_from_file_location("tls_v4", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


FQDN = "prometheus-0.prometheus-endpoints.cos.svc.cluster.local"


def python_side(lib, out_dir: Path) -> None:
    key = lib.PrivateKey.generate()
    attrs = lib.CertificateRequestAttributes(common_name="prometheus", sans_dns=frozenset([FQDN]))
    csr = attrs.generate_csr(key)
    requirer_bag = lib._RequirerData(
        certificate_signing_requests=[
            lib._CertificateSigningRequest(certificate_signing_request=str(csr).strip(), ca=False)
        ]
    ).dump({})
    ca_key = lib.PrivateKey.generate()
    ca = lib.Certificate.generate_self_signed_ca(
        lib.CertificateRequestAttributes(common_name="self-signed-certificates-operator"),
        ca_key,
        timedelta(days=3650),
    )
    cert = csr.sign(ca, ca_key, timedelta(days=365))
    provider_bag = lib._ProviderApplicationData(
        certificates=[
            lib._Certificate(
                certificate=str(cert),
                certificate_signing_request=str(csr),
                ca=str(ca),
                chain=[str(cert), str(ca)],
            )
        ]
    ).dump({})
    revoked_bag = lib._ProviderApplicationData(
        certificates=[
            lib._Certificate(
                certificate=str(cert),
                certificate_signing_request=str(csr),
                ca=str(ca),
                chain=[str(cert), str(ca)],
                revoked=True,
            )
        ]
    ).dump({})
    doc = {
        "comment": "Made by scripts/crosscheck/tls_certificates.py with tls_certificates v4 LIBPATCH "
        + str(lib.LIBPATCH),
        "fqdn": FQDN,
        "commonName": "prometheus",
        "privateKey": str(key),
        "privateKeySecretLabel": f"{lib.LIBID}-private-key-0-certificates",
        "requirerUnitBag": dict(requirer_bag),
        "providerAppBag": dict(provider_bag),
        "providerAppBagRevoked": dict(revoked_bag),
    }
    (out_dir / "python-requirer-provider.json").write_text(json.dumps(doc, indent=2) + "\n")
    print(f"wrote {out_dir / 'python-requirer-provider.json'}")


def check_ours(lib, ours_path: str) -> bool:
    ours = json.loads(Path(ours_path).read_text())
    ok = True

    def check(name: str, cond: bool) -> None:
        nonlocal ok
        ok = ok and cond
        print(f"{'ok  ' if cond else 'FAIL'} {name}")

    req = lib._RequirerData.load(ours["requirerUnitBag"])
    check("our requirer bag loads as _RequirerData", len(req.certificate_signing_requests) == 1)
    csr = lib.CertificateSigningRequest.from_string(req.certificate_signing_requests[0].certificate_signing_request)
    expected = lib.CertificateRequestAttributes(
        common_name=ours["commonName"], sans_dns=frozenset(ours["sansDns"]), sans_ip=frozenset(ours["sansIp"])
    )
    check(
        "our CSR has the attributes a Python requirer asking the same would have",
        lib.CertificateRequestAttributes.from_csr(csr, False) == expected,
    )
    key = lib.PrivateKey.from_string(ours["privateKey"])
    check("our private key is valid for the library (RSA >= 2048)", key.is_valid())
    check("our CSR matches our private key", csr.matches_private_key(key))
    check("our key is PKCS#1 like the library's", ours["privateKey"].startswith("-----BEGIN RSA PRIVATE KEY-----"))
    prov = lib._ProviderApplicationData.load(ours["providerAppBag"])
    check("our provider bag loads as _ProviderApplicationData", len(prov.certificates) == 1)
    pc = prov.certificates[0].to_provider_certificate(relation_id=1)
    check("our certificate answers the Python CSR", pc.certificate_signing_request.matches_certificate(pc.certificate))
    check("our certificate is a leaf", not pc.certificate.is_ca)
    check("our CA is a CA", pc.ca.is_ca)
    check("our chain is ordered leaf to root", lib.chain_has_valid_order([str(c) for c in pc.chain]))
    check(
        "our certificate keeps the CSR's DNS names",
        pc.certificate.sans_dns == lib.CertificateSigningRequest.from_string(ours["pythonCsr"]).sans_dns,
    )
    return ok


def main() -> int:
    if len(sys.argv) != 4 or sys.argv[1] not in ("gen", "check"):
        print(__doc__)
        return 2
    lib = load_lib(sys.argv[2])
    if sys.argv[1] == "gen":
        out_dir = Path(sys.argv[3])
        out_dir.mkdir(parents=True, exist_ok=True)
        python_side(lib, out_dir)
        return 0
    return 0 if check_ours(lib, sys.argv[3]) else 1


if __name__ == "__main__":
    sys.exit(main())
