#!/usr/bin/env python3
"""Reference outputs of Grafana's side of `grafana_dashboard` for our consumer tests (run by hand).

Usage: grafana_dashboard.py LIBRARY_FILE COSL_SRC OUT_FILE

LIBRARY_FILE is `lib/charms/grafana_k8s/v0/grafana_dashboard.py` of canonical/grafana-k8s-operator
(HEAD 382e463 was used, LIBPATCH 48); COSL_SRC is the `src` directory of canonical/cos-lib
(d8a21d2). Only PyYAML is needed besides (ops is replaced by ops_stand_in.py). For each case the
dashboard goes through what `GrafanaDashboardConsumer._render_dashboards_and_signal_changed` does
before label injection: `_manage_dashboard_uid`, then `CharmedDashboard._convert_dashboard_fields`.
Label injection needs the `cos-tool` binary, which is not used here (the JSON records that).
"""

import json
import sys
from pathlib import Path

import ops_stand_in

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "charms/prometheus-k8s/grafana_dashboards/prometheus-self-monitoring.json"

MARKETPLACE = {
    "__inputs": [
        {"name": "DS_PROMETHEUS", "label": "Prometheus", "type": "datasource", "pluginName": "Prometheus"},
        {"name": "DS_LOKI", "label": "Loki", "type": "datasource", "pluginName": "Loki"},
        {"name": "VAR_SITE", "type": "constant", "value": "x"},
    ],
    "title": "Marketplace export",
    "uid": "market",
    "templating": {
        "list": [
            {"name": "instance", "type": "query", "datasource": "${DS_PROMETHEUS}", "query": "label_values(up, instance)"}
        ]
    },
    "panels": [
        {"title": "string ref", "datasource": "${DS_PROMETHEUS}", "targets": [{"expr": "up"}]},
        {"title": "dict ref", "datasource": {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}, "targets": [{"expr": "rate(x[5m])"}]},
        {"title": "loki", "datasource": "$DS_LOKI"},
        {"title": "builtin", "datasource": "-- Grafana --"},
        {"title": "no datasource"},
        {"title": "already templated", "datasource": {"type": "prometheus", "uid": "${prometheusds}"}},
    ],
    "rows": [{"title": "row", "panels": [{"title": "in a row", "datasource": "${DS_PROMETHEUS}"}]}],
}

NO_TEMPLATING = {
    "title": "Hand-written",
    "panels": [
        {"title": "named", "datasource": "prometheus"},
        {"title": "loki by name", "datasource": "my-loki"},
        {"title": "grafana builtin", "datasource": "-- Grafana --"},
        {"title": "g9 loki", "datasource": {"type": "loki", "uid": "abc"}},
        {"title": "g9 other", "datasource": {"type": "influxdb", "uid": "def"}},
        {"title": "empty", "datasource": ""},
    ],
}

OWN_DATASOURCE_VARIABLE = {
    "title": "Own datasource variable",
    "templating": {
        "list": [
            {"name": "ds", "type": "datasource", "query": "Prometheus"},
            {"name": "job", "type": "query", "datasource": "$ds", "query": "label_values(up, job)"},
        ]
    },
    "panels": [
        {"title": "a", "datasource": "$ds", "targets": [{"expr": "up{job=~\"$job\"}"}]},
        {"title": "b", "datasource": {"type": "prometheus", "uid": "${ds}"}},
        {"title": "c", "datasource": "unrelated"},
    ],
}


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    sys.path.insert(0, sys.argv[2])
    gd = ops_stand_in.load(sys.argv[1], "gd")
    shipped = json.loads(SHIPPED.read_text())
    inputs = [
        ("shipped dashboard, dropdowns injected", shipped, True, None),
        ("shipped dashboard, no dropdowns", shipped, False, None),
        ("marketplace export with __inputs and rows", MARKETPLACE, True, None),
        ("no templating: datasources by name and type", NO_TEMPLATING, True, "alt0123456789abc"),
        ("the dashboard's own datasource variable", OWN_DATASOURCE_VARIABLE, True, "alt0123456789abc"),
    ]
    cases = []
    for name, dash, inject, alt in inputs:
        template = {"inject_dropdowns": inject}
        if alt is not None:
            template["dashboard_alt_uid"] = alt
        # The consumer's own method needs no state of the charm: call it unbound.
        content = gd.GrafanaDashboardConsumer._manage_dashboard_uid(None, json.dumps(dash), template)
        out = gd.CharmedDashboard._convert_dashboard_fields(content, inject)
        cases.append(
            {
                "name": name,
                "input": dash,
                "inject_dropdowns": inject,
                "dashboard_alt_uid": alt,
                "output": json.loads(out),
            }
        )
    doc = {"libpatch": gd.LIBPATCH, "cos_tool": False, "cases": cases}
    Path(sys.argv[3]).write_text(json.dumps(doc, indent=2) + "\n")
    print(f"wrote {sys.argv[3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
