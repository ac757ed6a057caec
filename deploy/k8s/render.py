"""Render the Kubernetes manifests of govmedia into ``deploy/k8s/govmedia.yaml``.

The five services share one shape (deployment, service, disruption budget; autoscaling for the two that
consume the heavy streams), so the manifests are generated from one description instead of being copied five
times. ``python deploy/k8s/render.py`` rewrites the file; a test fails when the committed file is stale and
validates every document against the Kubernetes schemas offline.

Secrets are referenced, never written here: create them before applying (see docs/operations.md):
  kubectl -n govmedia create secret generic govmedia-db \
      --from-literal=server-url=postgresql+asyncpg://…/postgres \
      --from-literal=registry-url=…/govmedia_registry --from-literal=review-url=… (one per service)
  kubectl -n govmedia create secret generic govmedia-registry --from-literal=bootstrap-password=…
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

NAMESPACE = "govmedia"
IMAGE = "registry.example.gov.cn/govmedia:0.1.0"
OUT = Path(__file__).with_name("govmedia.yaml")
# The official region table of every service (GOVMEDIA_REGIONS_FILE): the file compose mounts, as a ConfigMap.
REGIONS_SOURCE = Path(__file__).resolve().parents[1] / "regions.json"
REGIONS_MAP = "govmedia-regions"
REGIONS_DIR = "/etc/govmedia/regions"
REGIONS_FILE = "regions.json"

# name → (replicas, cpu request, memory request, cpu limit, memory limit, autoscale max or 0)
SERVICES: dict[str, tuple[int, str, str, str, str, int]] = {
    "registry": (2, "250m", "256Mi", "1", "512Mi", 0),
    "review": (2, "500m", "384Mi", "2", "768Mi", 0),
    "monitor": (2, "500m", "384Mi", "2", "768Mi", 8),
    "notify": (2, "250m", "256Mi", "1", "512Mi", 0),
    "scoring": (2, "500m", "512Mi", "2", "1Gi", 8),
}


WEBHOOK_NETWORKS = "GOVMEDIA_NOTIFY_WEBHOOK_ALLOWED_NETWORKS"


def labels(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "govmedia"}


def meta(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": NAMESPACE, "labels": labels(name), **extra}


def config_map() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta("govmedia-config"),
        "data": {
            "GOVMEDIA_ENVIRONMENT": "production",
            "GOVMEDIA_KAFKA_BOOTSTRAP": "kafka-0.kafka:9092,kafka-1.kafka:9092,kafka-2.kafka:9092",
            "GOVMEDIA_KAFKA_ENABLE_IDEMPOTENCE": "true",
            "GOVMEDIA_KAFKA_TOPIC_REPLICATION": "3",
            "GOVMEDIA_JWKS_URL": "http://registry.govmedia.svc:8000/.well-known/jwks.json",
            "GOVMEDIA_REGIONS_FILE": f"{REGIONS_DIR}/{REGIONS_FILE}",
            WEBHOOK_NETWORKS: "",  # notify's intranet receivers, e.g. "10.20.0.0/16" (see render())
        },
    }


def regions_map() -> dict[str, Any]:
    """The official region table every service reads (GOVMEDIA_REGIONS_FILE): deploy/regions.json, the file
    compose mounts too; put the full table there, render, apply and restart all five services."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta(REGIONS_MAP),
        "data": {REGIONS_FILE: REGIONS_SOURCE.read_text(encoding="utf-8")},
    }


def secret_env(var: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": var, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def container(
    name: str, command: list[str], env: list[dict[str, Any]], res: tuple[str, ...]
) -> dict[str, Any]:
    cpu_req, mem_req, cpu_lim, mem_lim = res
    return {
        "name": name,
        "image": IMAGE,
        "command": command,
        "envFrom": [{"configMapRef": {"name": "govmedia-config"}}],
        "env": env,
        "resources": {
            "requests": {"cpu": cpu_req, "memory": mem_req},
            "limits": {"cpu": cpu_lim, "memory": mem_lim},
        },
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }


def service_docs(name: str, spec: tuple[int, str, str, str, str, int]) -> list[dict[str, Any]]:
    replicas, cpu_req, mem_req, cpu_lim, mem_lim, autoscale_max = spec
    env = [secret_env(f"GOVMEDIA_{name.upper()}_DATABASE_URL", "govmedia-db", f"{name}-url")]
    if name == "registry":
        env.append(
            secret_env("GOVMEDIA_REGISTRY_BOOTSTRAP_PASSWORD", "govmedia-registry", "bootstrap-password")
        )
    command = [
        "uvicorn",
        f"govmedia_{name}.main:create_app",
        "--factory",
        "--host",
        "0.0.0.0",
        "--port",
        "8000",
    ]
    main = container(name, command, env, (cpu_req, mem_req, cpu_lim, mem_lim))
    main["ports"] = [{"name": "http", "containerPort": 8000}]
    main["readinessProbe"] = {
        "httpGet": {"path": "/readyz", "port": "http"},
        "periodSeconds": 10,
        "failureThreshold": 3,
    }
    main["livenessProbe"] = {
        "httpGet": {"path": "/healthz", "port": "http"},
        "periodSeconds": 20,
        "failureThreshold": 3,
    }
    main["startupProbe"] = {
        "httpGet": {"path": "/healthz", "port": "http"},
        "periodSeconds": 5,
        "failureThreshold": 24,
    }
    main["volumeMounts"] = [
        {"name": "tmp", "mountPath": "/tmp"},
        {"name": "regions", "mountPath": REGIONS_DIR, "readOnly": True},
    ]
    docs: list[dict[str, Any]] = [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": meta(name),
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": labels(name)},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
                "template": {
                    "metadata": {
                        "labels": labels(name),
                        "annotations": {
                            "prometheus.io/scrape": "true",
                            "prometheus.io/port": "8000",
                            "prometheus.io/path": "/metrics",
                        },
                    },
                    "spec": {
                        "terminationGracePeriodSeconds": 30,
                        "containers": [main],
                        "volumes": [
                            {"name": "tmp", "emptyDir": {}},
                            {"name": "regions", "configMap": {"name": REGIONS_MAP}},
                        ],
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": meta(name),
            "spec": {
                "selector": labels(name),
                "ports": [{"name": "http", "port": 8000, "targetPort": "http"}],
            },
        },
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": meta(name),
            "spec": {"minAvailable": 1, "selector": {"matchLabels": labels(name)}},
        },
    ]
    if autoscale_max:
        docs.append(
            {
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": meta(name),
                "spec": {
                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                    "minReplicas": replicas,
                    # Beyond the partition count (6 per topic) replicas would idle.
                    "maxReplicas": min(autoscale_max, 6),
                    "metrics": [
                        {
                            "type": "Resource",
                            "resource": {
                                "name": "cpu",
                                "target": {"type": "Utilization", "averageUtilization": 70},
                            },
                        }
                    ],
                },
            }
        )
    return docs


def migration_job() -> dict[str, Any]:
    env = [
        secret_env("GOVMEDIA_DATABASE_URL", "govmedia-db", "server-url"),
        secret_env("GOVMEDIA_GRAFANA_DB_PASSWORD", "govmedia-grafana", "db-password"),
    ]
    job = container(
        "migrate", ["sh", "-c", "govmedia migrate && govmedia topics"], env, ("250m", "256Mi", "1", "512Mi")
    )
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta("govmedia-migrate"),
        "spec": {
            "backoffLimit": 6,
            "ttlSecondsAfterFinished": 86400,
            "template": {
                "metadata": {"labels": labels("govmedia-migrate")},
                "spec": {"restartPolicy": "OnFailure", "containers": [job]},
            },
        },
    }


def render() -> str:
    docs: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": NAMESPACE, "labels": labels(NAMESPACE)},
        },
        config_map(),
        regions_map(),
        migration_job(),
    ]
    for name, spec in SERVICES.items():
        docs.extend(service_docs(name, spec))
    header = (
        "# Generated by deploy/k8s/render.py — edit that file, then run it. Apply the migration Job first.\n"
    )
    text = yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True)
    entry = f"  {WEBHOOK_NETWORKS}: ''\n"
    assert text.count(entry) == 1, "the notify webhook networks entry moved; adjust its comment"
    comment = (
        "  # notify writes e-mail and SMS only once GOVMEDIA_NOTIFY_SMTP_HOST and\n"
        "  # GOVMEDIA_NOTIFY_SMS_GATEWAY_URL are set here (GET /v1/channels says which are).\n"
        "  # notify: webhooks go to public addresses only; a receiver on your intranet needs its network\n"
        "  # here (comma-separated CIDR, e.g. '10.20.0.0/16'), or its deliveries are refused.\n"
    )
    return header + text.replace(entry, comment + entry)


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {OUT}\n")
