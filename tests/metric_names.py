"""The metric names our processes expose, and the metric names a PromQL expression reads.

Exposed names come from the prometheus_client registry after importing every process's metrics
module (the same objects the services record into), so a renamed metric breaks the dashboards'
and alerts' tests; `up` is the one series Prometheus itself adds per target.
"""

import importlib
import re

from prometheus_client import REGISTRY

METRIC_MODULES = (
    "tftkit.postgres",
    "tftkit.metrics",
    "gateway.sse",
    "gateway.metrics",
    "auth_service.metrics",
    "expert_service.metrics",
    "product_service.metrics",
    "fitting_service.metrics",
)
PROMETHEUS_SERIES = {"up"}

_KEYWORDS = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "and",
    "or",
    "unless",
    "bool",
    "offset",
    "inf",
    "nan",
}
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_VARIABLE = re.compile(r"\$\{[^}]*\}|\$\w+")
_DURATION = re.compile(r"(?<![\w:])(?:\d+(?:ms|[smhdwy]))+\b")
_NUMBER = re.compile(r"(?<![\w:])\d+(?:\.\d+)?(?:e[+-]?\d+)?")
_IDENT = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def exposed_metric_names() -> set[str]:
    for module in METRIC_MODULES:
        importlib.import_module(module)
    names = set(REGISTRY._names_to_collectors)  # every sample name, _bucket/_sum/_total included
    return names | PROMETHEUS_SERIES


def metric_names_in(expr: str) -> set[str]:
    """The series names an expression selects (functions, keywords and labels left out)."""
    text = _STRING.sub('""', expr)
    text = _VARIABLE.sub("1", text)
    text = _MATCHERS.sub("", text)
    text = _RANGE.sub("", text)
    text = _GROUPING.sub("", text)
    text = _DURATION.sub("", text)
    text = _NUMBER.sub("", text)
    names = set()
    for match in _IDENT.finditer(text):
        word = match.group(0)
        following = text[match.end() :].lstrip()
        if following.startswith("(") or word.lower() in _KEYWORDS:
            continue  # a function call or an operator word
        names.add(word)
    return names
