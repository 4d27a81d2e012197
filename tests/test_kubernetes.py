"""The kustomize base: a Deployment and a Service per service under its one name, gRPC readiness
probes on the documented ports, secrets only referenced."""

from pathlib import Path

import yaml

BASE = Path(__file__).resolve().parents[1] / "deploy" / "kubernetes" / "base"
PORTS = {
    "auth-service": 50051,
    "chat-service": 50052,
    "expert-service": 50053,
    "product-service": 50054,
    "fitting-service": 50055,
    "gateway": 8000,
}


def _documents() -> list[dict]:
    kustomization = yaml.safe_load((BASE / "kustomization.yaml").read_text())
    docs = []
    for resource in kustomization["resources"]:
        docs += [d for d in yaml.safe_load_all((BASE / resource).read_text()) if d]
    return docs


def test_a_deployment_and_a_service_per_service_with_probes_on_its_port():
    docs = _documents()
    by_kind: dict[str, dict[str, dict]] = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    for name, port in PORTS.items():
        deployment = by_kind["Deployment"][name]
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["image"] == f"thefirsttake/{name}"
        assert port in [p["containerPort"] for p in container["ports"]]
        probe = container["readinessProbe"]
        if name == "gateway":
            assert probe["httpGet"]["path"] == "/actuator/health"
        else:
            assert probe["grpc"]["port"] == port
        env = {e["name"]: e for e in container["env"]}
        assert env["OTEL_SERVICE_NAME"]["value"] == name
        service = by_kind["Service"][name]
        assert port in [p["port"] for p in service["spec"]["ports"]]
        assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]


def test_secrets_are_referenced_never_defined():
    docs = _documents()
    assert not [d for d in docs if d["kind"] == "Secret"]
    config = next(d for d in docs if d["kind"] == "ConfigMap")
    assert not [k for k in config["data"] if "SECRET" in k or "PASSWORD" in k or "DSN" in k]
    for doc in docs:
        if doc["kind"] in ("Deployment", "Job"):
            for container in doc["spec"]["template"]["spec"]["containers"]:
                for item in container.get("env", []):
                    if any(w in item["name"] for w in ("SECRET", "DSN", "REDIS_URL", "API_KEY")):
                        assert "secretKeyRef" in item["valueFrom"], item["name"]
