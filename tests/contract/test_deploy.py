"""deploy/ is a public contract for operations: the compose file, the Kubernetes manifests and the Prometheus
configuration are validated offline against their real schemas and tools."""

from __future__ import annotations

import base64
import importlib.util
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from types import ModuleType

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def test_the_compose_file_validates_against_the_compose_specification() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            str(DEPLOY / "compose.yaml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_kraft_cluster_id_is_a_base64_uuid() -> None:
    doc = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    cluster_id = doc["x-kafka"]["environment"]["CLUSTER_ID"]
    assert len(cluster_id) == 22 and re.fullmatch(r"[A-Za-z0-9_-]{22}", cluster_id)
    uuid.UUID(bytes=base64.urlsafe_b64decode(cluster_id + "=="))  # 16 bytes, or this raises


def test_every_compose_service_has_a_healthcheck_or_is_a_one_shot_job() -> None:
    doc = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    anchors = {"x-kafka": doc["x-kafka"], "x-service": doc["x-service"]}
    for name, service in doc["services"].items():
        if name in {"migrate", "kafka-exporter", "postgres-exporter", "grafana"}:
            continue
        assert "healthcheck" in service or any("healthcheck" in a for a in anchors.values()), name
    migrate = doc["services"]["migrate"]["depends_on"]
    assert {f"kafka-{i}" for i in (1, 2, 3)} <= set(migrate), "topics must wait for every broker"
    assert all(migrate[f"kafka-{i}"]["condition"] == "service_healthy" for i in (1, 2, 3))


def test_grafana_does_not_keep_the_default_admin_login() -> None:
    grafana = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]["grafana"]
    assert "GF_SECURITY_ADMIN_PASSWORD__FILE" in grafana["environment"]
    assert "GF_SECURITY_ADMIN_PASSWORD" not in grafana["environment"]


def test_the_docker_context_leaves_out_local_state_and_secrets() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".govmedia", ".tools", "deploy/secrets"} <= ignored


def _render_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("k8s_render", DEPLOY / "k8s" / "render.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_kubernetes_manifests_are_the_rendered_ones() -> None:
    rendered = _render_module().render()
    assert (DEPLOY / "k8s" / "govmedia.yaml").read_text(encoding="utf-8") == rendered, (
        "deploy/k8s/govmedia.yaml is stale: run `python deploy/k8s/render.py`"
    )


def test_the_kubernetes_manifests_validate_against_the_kubernetes_schemas() -> None:
    import kubernetes_validate

    docs = [d for d in yaml.safe_load_all((DEPLOY / "k8s" / "govmedia.yaml").read_text()) if d]
    kinds = {d["kind"] for d in docs}
    assert {
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "Job",
        "ConfigMap",
    } <= kinds
    for doc in docs:
        kubernetes_validate.validate(doc, "1.31", strict=True)
    for doc in docs:
        if doc["kind"] == "Deployment":
            container = doc["spec"]["template"]["spec"]["containers"][0]
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert container["resources"]["limits"], doc["metadata"]["name"]
            assert all("value" not in e for e in container["env"]), "secrets are referenced, never inlined"


@pytest.mark.skipif(
    shutil.which("promtool") is None, reason="promtool (Debian's prometheus package) not installed"
)
def test_promtool_accepts_the_prometheus_config_and_rules() -> None:
    for args in (
        ["check", "config", str(DEPLOY / "prometheus" / "prometheus.yml")],
        ["check", "rules", str(DEPLOY / "prometheus" / "rules.yml")],
    ):
        result = subprocess.run(["promtool", *args], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_rule_is_well_formed_and_names_its_runbook() -> None:
    """The structural part of `promtool check rules`, so the check holds where promtool is absent."""
    doc = yaml.safe_load((DEPLOY / "prometheus" / "rules.yml").read_text())
    names: set[str] = set()
    runbook = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in runbook.splitlines()
        if line.startswith("## ")
    }
    for group in doc["groups"]:
        for rule in group["rules"]:
            assert set(rule) <= {"alert", "expr", "for", "labels", "annotations", "keep_firing_for"}, rule
            assert rule["alert"] not in names, f"duplicate alert {rule['alert']}"
            names.add(rule["alert"])
            assert rule["expr"].count("(") == rule["expr"].count(")"), rule["alert"]
            assert rule["labels"]["severity"] in {"page", "ticket"}
            section = rule["annotations"]["runbook"].split("#", 1)[1]
            assert section in anchors, f"{rule['alert']}: docs/operations.md has no section #{section}"
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    assert config["rule_files"] == ["rules.yml"]
