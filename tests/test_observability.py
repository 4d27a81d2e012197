"""Prometheus alert rules and Grafana provisioning: they parse, they read only metrics our
processes expose, and docker-compose mounts them where Prometheus and Grafana look.

No promtool is available from the package registries reached here, so the rules are checked by
parsing them and reading their PromQL with the small reader in metric_names.py.
"""

import json
import re
from pathlib import Path

import pytest
import yaml
from metric_names import exposed_metric_names, metric_names_in

ROOT = Path(__file__).resolve().parents[1]
OBSERVABILITY = ROOT / "deploy" / "observability"
ALERTS = OBSERVABILITY / "alerts.yml"
DURATION = re.compile(r"^(\d+(ms|[smhdwy]))+$")
SEVERITIES = {"critical", "warning", "info"}


@pytest.fixture(scope="module")
def exposed() -> set[str]:
    return exposed_metric_names()


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _rules() -> list[dict]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_the_reader_finds_series_names_and_nothing_else():
    expr = (
        'histogram_quantile(0.95, sum by (le, provider) (rate(a_bucket{x="y(z)"}[5m])))'
        " / on (job) group_left (service) b_total > 1e-3 and c offset 1h30m"
    )
    assert metric_names_in(expr) == {"a_bucket", "b_total", "c"}
    assert metric_names_in("sum(rate(d_total[$__rate_interval])) by (service)") == {"d_total"}


def test_the_exposed_names_include_the_seeds_metrics(exposed):
    for name in (
        "sse_connections_active",
        "sse_api_memory_peak_total",
        "llm_api_failure_total",
        "product_search_api_response_duration_bucket",
        "db_connection_pool_pending",
        "fitting_tasks_total",
    ):
        assert name in exposed


def test_groups_have_unique_names_and_rules_unique_alerts():
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    names = [group["name"] for group in groups]
    assert len(names) == len(set(names))
    alerts = [rule["alert"] for rule in _rules()]
    assert len(alerts) == len(set(alerts))


def test_the_seeds_alerts_are_there():
    exprs = {rule["alert"]: rule["expr"] for rule in _rules()}
    covered = " ".join(exprs.values())
    for metric in (
        "sse_api_memory_peak_total",  # memory peak
        "db_connection_pool_pending",  # pool exhaustion
        "sse_connection_errors_total",  # SSE error rate
        "llm_api_failure_total",  # LLM failure rate
    ):
        assert metric in covered


@pytest.mark.parametrize("rule", _rules(), ids=lambda rule: rule["alert"])
def test_each_rule_is_complete_and_reads_only_exposed_metrics(rule, exposed):
    assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}
    assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", rule["alert"])
    assert DURATION.match(str(rule["for"]))
    assert rule["labels"]["severity"] in SEVERITIES
    assert rule["annotations"]["summary"].strip()
    expr = rule["expr"]
    assert expr.count("(") == expr.count(")") and expr.count("{") == expr.count("}")
    names = metric_names_in(expr)
    assert names, "the rule reads no metric"
    assert names <= exposed, f"not exposed by any process: {sorted(names - exposed)}"


def test_prometheus_loads_the_rules_and_compose_mounts_them(compose):
    config = yaml.safe_load((OBSERVABILITY / "prometheus.yml").read_text())
    assert config["rule_files"] == ["alerts.yml"]
    volumes = compose["services"]["prometheus"]["volumes"]
    assert "./deploy/observability/alerts.yml:/etc/prometheus/alerts.yml:ro" in volumes
    assert "./deploy/observability/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in volumes


GRAFANA = OBSERVABILITY / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))


def _panels(board: dict) -> list[dict]:
    panels = []
    for panel in board["panels"]:
        panels.append(panel)
        panels += panel.get("panels", [])  # collapsed rows keep theirs inside
    return panels


def test_a_dashboard_per_area_with_unique_uids_and_titles():
    boards = [json.loads(path.read_text()) for path in DASHBOARDS]
    assert {path.stem for path in DASHBOARDS} >= {
        "sse",
        "experts",
        "product-search",
        "fitting",
        "database",
    }
    uids = [board["uid"] for board in boards]
    titles = [board["title"] for board in boards]
    assert len(uids) == len(set(uids)) and all(uids)
    assert len(titles) == len(set(titles)) and all(titles)
    assert all(len(uid) <= 40 for uid in uids)  # Grafana's limit


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda path: path.name)
def test_every_panel_queries_only_exposed_metrics(path, exposed):
    board = json.loads(path.read_text())
    datasource = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yml").read_text())
    uid = datasource["datasources"][0]["uid"]
    panels = [p for p in _panels(board) if p["type"] != "row"]
    assert panels
    assert len({p["id"] for p in panels}) == len(panels)
    for panel in panels:
        assert panel["title"] and panel["gridPos"]["w"] <= 24
        assert panel["datasource"]["uid"] == uid
        assert panel["targets"], panel["title"]
        ref_ids = [target["refId"] for target in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids))
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == uid
            names = metric_names_in(target["expr"])
            assert names, (panel["title"], target["expr"])
            assert names <= exposed, f"{panel['title']}: not exposed {sorted(names - exposed)}"


def test_grafana_is_provisioned_in_compose(compose):
    datasources = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yml").read_text())
    (prometheus,) = datasources["datasources"]
    assert prometheus["type"] == "prometheus"
    assert prometheus["url"] == "http://prometheus:9090"
    assert "prometheus" in compose["services"]
    providers = yaml.safe_load((GRAFANA / "provisioning/dashboards/thefirsttake.yml").read_text())
    (provider,) = providers["providers"]
    assert provider["type"] == "file"
    grafana = compose["services"]["grafana"]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in grafana["volumes"]}
    assert mounts["/etc/grafana/provisioning"] == "./deploy/observability/grafana/provisioning"
    assert mounts[provider["options"]["path"]] == "./deploy/observability/grafana/dashboards"
    assert "127.0.0.1:3000:3000" in grafana["ports"]
