#!/usr/bin/env python3
"""Reference outputs of Canonical's Python libraries for our interface tests (run by hand).

Usage: cos_libs.py LIB_DIR COSL_SRC OUT_DIR

LIB_DIR is the `lib/charms` directory of canonical/prometheus-k8s-operator (HEAD 432c227 was used),
which vendors every library read here; COSL_SRC is the `src` directory of canonical/cos-lib (the
`cosl` package they import). Only `pydantic` and `PyYAML` are needed (ops is replaced by
ops_stand_in.py). Writes OUT_DIR/<library>.json: each case's input and what the library produced.
cos-tool is not on the path, so the remote-write provider neither validates nor injects (as in
the shared/fixtures reference run); the JSON records that.
"""

import copy
import json
import sys
from pathlib import Path

import ops_stand_in

UUID = "f2c1b2a4-7a3e-4c1d-9b5e-1a2b3c4d5e6f"
OTHER_UUID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


class Entity:
    def __init__(self, name: str, app: "Entity | None" = None):
        self.name = name
        self.app = app or self

    def __repr__(self):
        return self.name


class Relation:
    def __init__(self, rid: int, name: str, app: Entity, units: list, data: dict):
        self.id = rid
        self.name = name
        self.app = app
        self.units = set(units)
        self.data = data
        self.active = True


class Charm:
    def __init__(self, leader: bool, relations: dict):
        self.app = Entity("prometheus")
        self.unit = Entity("prometheus/0", self.app)
        self._leader = leader
        self.unit.is_leader = lambda: self._leader
        self.model = type("M", (), {"relations": relations})()


def remote_write_case(lib, name: str, consumers: list, leader: bool = True) -> dict:
    """`PrometheusRemoteWriteProvider.alerts` over relations built from `consumers`."""
    relations = []
    charm = None
    for i, c in enumerate(consumers):
        rid = c.get("id", i + 1)
        app = Entity(c.get("app", f"agent{rid}"))
        units = [Entity(u, app) for u in c.get("units", [f"{app.name}/0"])]
        data = {app: dict(c.get("app_data", {})), **{u: {} for u in units}}
        data["__local_app__"] = dict(c.get("local_app_data", {}))
        relations.append((rid, app, units, data))
    rels = []
    charm = Charm(leader, {})
    for rid, app, units, data in relations:
        local = data.pop("__local_app__")
        data[charm.app] = local
        rels.append(Relation(rid, "receive-remote-write", app, units, data))
    charm.model.relations = {"receive-remote-write": rels}
    provider = object.__new__(lib.PrometheusRemoteWriteProvider)
    provider._charm = charm
    provider._relation_name = "receive-remote-write"
    provider._tool = lib.CosTool(charm)
    alerts = provider.alerts
    return {
        "name": name,
        "leader": leader,
        "consumers": consumers,
        "expected": {
            "rule_files": alerts,
            "local_app_data": {str(r.id): r.data[charm.app] for r in rels},
        },
    }


def remote_write_cases(lib) -> list:
    labelled = {
        "groups": [
            {
                "name": "cos_f2c1b2a4_zinc_alerts",
                "rules": [
                    {
                        "alert": "ZincDown",
                        "expr": "up{%%juju_topology%%} < 1",
                        "labels": {
                            "juju_model": "cos",
                            "juju_model_uuid": UUID,
                            "juju_application": "zinc",
                            "juju_charm": "zinc-k8s",
                            "severity": "critical",
                        },
                    }
                ],
            }
        ]
    }
    unlabelled = {"groups": [{"name": "plain_group", "rules": [{"alert": "A", "expr": "up < 1"}]}]}
    meta = {"model": "cos", "model_uuid": OTHER_UUID, "application": "agent", "unit": "agent/0", "charm_name": "grafana-agent"}
    return [
        remote_write_case(lib, "labelled_rules_name_the_file", [{"app_data": {"alert_rules": json.dumps(labelled)}}]),
        remote_write_case(
            lib,
            "unlabelled_rules_with_metadata",
            [{"app_data": {"alert_rules": json.dumps(unlabelled), "scrape_metadata": json.dumps(meta)}}],
        ),
        remote_write_case(lib, "unlabelled_rules_without_metadata", [{"app_data": {"alert_rules": json.dumps(unlabelled)}}]),
        remote_write_case(lib, "empty_rules_skipped", [{"app_data": {"alert_rules": "{}", "scrape_metadata": json.dumps(meta)}}]),
        remote_write_case(lib, "no_units_skipped", [{"units": [], "app_data": {"alert_rules": json.dumps(labelled)}}]),
        remote_write_case(
            lib,
            "stale_errors_cleared_other_keys_kept",
            [
                {
                    "app_data": {"alert_rules": json.dumps(labelled)},
                    "local_app_data": {"event": json.dumps({"errors": "old", "other": "x"})},
                }
            ],
        ),
        remote_write_case(
            lib,
            "same_identifier_last_relation_wins",
            [
                {"id": 3, "app": "agent-a", "app_data": {"alert_rules": json.dumps(labelled)}},
                {"id": 5, "app": "agent-b", "app_data": {"alert_rules": json.dumps(labelled)}},
            ],
        ),
        remote_write_case(
            lib, "non_leader_writes_nothing", [{"app_data": {"alert_rules": json.dumps(labelled)}}], leader=False
        ),
    ]


def remote_write_consumer_case(lib, rules_dir: str) -> dict:
    """`PrometheusRemoteWriteConsumer._push_alerts_to_relation_databag` for a unit with one peer."""
    from cosl import JujuTopology

    charm = Charm(True, {})
    charm.unit = Entity("agent/0", Entity("agent"))
    charm.unit.is_leader = lambda: True
    charm.app = charm.unit.app
    charm.meta = type("Meta", (), {"subordinate": False})()
    peers = type("Peers", (), {"units": {Entity("agent/1", charm.app)}})()
    charm.model.get_relation = lambda name: peers
    consumer = object.__new__(lib.PrometheusRemoteWriteConsumer)
    consumer._charm = charm
    consumer._peer_relation_name = "peers"
    consumer._forward_alert_rules = True
    consumer._alert_rules_path = rules_dir
    consumer._extra_alert_labels = {}
    consumer._tool = lib.CosTool(charm)
    consumer.topology = JujuTopology(
        model="cos", model_uuid=OTHER_UUID, application="agent", unit="agent/0", charm_name="remote-write-tester"
    )
    rel = Relation(2, "send-remote-write", Entity("prometheus"), [], {charm.app: {}})
    consumer._push_alerts_to_relation_databag(rel)
    return {
        "name": "consumer_aggregator_and_file_rules",
        "topology": consumer.topology.as_dict(),
        "unit_names": ["agent/0", "agent/1"],
        "rules_dir_files": {p.name: p.read_text() for p in sorted(Path(rules_dir).iterdir())},
        "expected": rel.data[charm.app],
    }


def certificate_transfer_cases(lib) -> list:
    out = []
    pems = ["-----BEGIN CERTIFICATE-----\nB\n-----END CERTIFICATE-----", "-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----"]
    out.append({"name": "requirer_app_data", "expected": lib.RequirerApplicationData().dump({}, False)})
    out.append({"name": "provider_v1_app_data", "certificates": pems, "expected": lib.ProviderApplicationData(certificates=set(pems)).dump({})})
    certs = sorted(pems)
    out.append(
        {
            "name": "provider_v0_unit_data",
            "certificates": certs,
            "expected": lib.ProviderUnitDataV0(ca=certs[0], certificate=certs[0], chain=certs).dump({}),
        }
    )
    return out


def tracing_cases(lib) -> list:
    return [
        {"name": "requirer_otlp_grpc", "expected": lib.TracingRequirerAppData(receivers=["otlp_grpc"]).dump({})},
        {"name": "requirer_otlp_http", "expected": lib.TracingRequirerAppData(receivers=["otlp_http"]).dump({})},
        {
            "name": "provider_two_receivers",
            "expected": lib.TracingProviderAppData(
                receivers=[
                    lib.Receiver(url="tempo-0.tempo-endpoints.cos.svc.cluster.local:4317", protocol=lib.ProtocolType(name="otlp_grpc", type="grpc")),
                    lib.Receiver(url="http://tempo-0.tempo-endpoints.cos.svc.cluster.local:4318", protocol=lib.ProtocolType(name="otlp_http", type="http")),
                ]
            ).dump({}),
        },
    ]


class FakeTopology:
    """What `_PebbleLogClient` reads of a cosl JujuTopology."""

    def __init__(self):
        self._model = "cos"
        self._model_uuid = UUID
        self._application = "prometheus"
        self._unit = "prometheus/0"
        self._charm_name = "prometheus-k8s"
        self.identifier = f"cos_{UUID[:8]}_prometheus"

    def as_dict(self):
        return {"model": self._model, "model_uuid": self._model_uuid, "application": self._application, "unit": self._unit, "charm_name": self._charm_name}


def loki_cases(lib) -> list:
    topo = FakeTopology()
    endpoints = {"loki/0": "http://loki-0.loki-endpoints.cos.svc.cluster.local:3100/loki/api/v1/push"}
    # ConsumerBase._handle_alert_rules with Prometheus' settings: no LogQL rules directory.
    from cosl import JujuTopology

    charm = Charm(True, {})
    consumer = object.__new__(lib.LogForwarder)
    consumer._charm = charm
    consumer._skip_alert_topology_labeling = False
    consumer._forward_alert_rules = True
    consumer._alert_rules_path = "/nonexistent/loki_alert_rules"
    consumer._recursive = True
    consumer._extra_alert_labels = {}
    consumer.topology = JujuTopology(
        model="cos", model_uuid=UUID, application="prometheus", unit="prometheus/0", charm_name="prometheus-k8s"
    )
    rel = Relation(7, "logging", Entity("loki"), [], {charm.app: {}})
    consumer._handle_alert_rules(rel)
    return [
        {
            "name": "enabled_targets",
            "endpoints": endpoints,
            "expected": lib._PebbleLogClient._build_log_targets(endpoints, topo, enable=True),
        },
        {
            "name": "disabled_target",
            "expected": lib._PebbleLogClient._build_log_targets({"loki/1": "(removed)"}, topo, enable=False),
        },
        {"name": "requirer_metadata", "expected": rel.data[charm.app]},
        {
            "name": "provider_endpoint",
            "expected": {
                "endpoint": json.dumps(
                    lib.LokiPushApiProvider._endpoint(None, "http://loki-0.loki-endpoints.cos.svc.cluster.local:3100")
                )
            },
        },
    ]


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    lib_dir, out_dir = Path(sys.argv[1]), Path(sys.argv[3])
    sys.path.insert(0, sys.argv[2])
    ops_stand_in.install()
    out_dir.mkdir(parents=True, exist_ok=True)
    rules_dir = out_dir / "remote_write_rules"
    rules_dir.mkdir(exist_ok=True)
    (rules_dir / "tester_always_firing.rule").write_text(
        "alert: RemoteWriteTesterAlwaysFiring\nexpr: remote_write_tester_up{%%juju_topology%%} > 0\n"
        "labels:\n  severity: info\nannotations:\n  summary: Always fires while samples arrive.\n"
    )
    rw = ops_stand_in.load(str(lib_dir / "prometheus_k8s/v1/prometheus_remote_write.py"), "prw")
    ct = ops_stand_in.load(str(lib_dir / "certificate_transfer_interface/v1/certificate_transfer.py"), "ct")
    tr = ops_stand_in.load(str(lib_dir / "tempo_coordinator_k8s/v0/tracing.py"), "tr")
    lk = ops_stand_in.load(str(lib_dir / "loki_k8s/v1/loki_push_api.py"), "lk")
    docs = {
        "prometheus_remote_write": {
            "libpatch": rw.LIBPATCH,
            "cos_tool": False,
            "cases": remote_write_cases(rw) + [remote_write_consumer_case(rw, str(rules_dir))],
        },
        "certificate_transfer": {"libpatch": ct.LIBPATCH, "cases": certificate_transfer_cases(ct)},
        "tracing": {"libpatch": tr.LIBPATCH, "cases": tracing_cases(tr)},
        "loki_push_api": {"libpatch": lk.LIBPATCH, "cases": loki_cases(lk)},
    }
    for name, doc in docs.items():
        path = out_dir / f"{name}.json"
        path.write_text(json.dumps(copy.deepcopy(doc), indent=2, default=sorted) + "\n")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
