"""Both deployments give every service the same official region table (GOVMEDIA_REGIONS_FILE).

What the outside round found: every service answers by the region table since it became a setting of all
five, but neither deploy/compose.yaml nor deploy/k8s set it for any, and docs/operations.md did not say so:
an operator who gave the registry the full table (as the README described, with the registry's own
variable) left the other four on the shipped starter set, so a county of the full table was a region at
the registry and a 404 unknown-region at the monitor, notify, scoring and the review.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from govmedia_common.regions import regions_rows

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SERVICES = ("registry", "review", "monitor", "notify", "scoring")
SETTING = "GOVMEDIA_REGIONS_FILE"


def _compose() -> dict[str, Any]:
    compose: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    return compose


def test_compose_gives_every_service_the_same_region_table_file() -> None:
    services = _compose()["services"]
    files = set()
    for name in SERVICES:
        path = services[name]["environment"].get(SETTING)
        assert path, f"{name} is not given {SETTING}"
        mounts = {m.split(":")[1]: m.split(":")[0] for m in services[name].get("volumes", [])}
        assert path in mounts, f"{name}: {path} is not mounted"
        files.add((path, mounts[path]))
    assert len(files) == 1, files  # one table for all
    ((_, source),) = files
    assert regions_rows(DEPLOY / source)  # a file the services start with


def test_kubernetes_gives_every_service_the_same_region_table_file() -> None:
    text = (DEPLOY / "k8s" / "govmedia.yaml").read_text(encoding="utf-8")
    docs = [d for d in yaml.safe_load_all(text) if d]
    config = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "govmedia-config")
    path = config["data"][SETTING]
    directory, filename = path.rsplit("/", 1)
    for name in SERVICES:
        deployment = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == name)
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert {"configMapRef": {"name": "govmedia-config"}} in container["envFrom"]
        mount = next(m for m in container["volumeMounts"] if m["mountPath"] == directory)
        volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
        table = volume["configMap"]["name"]
        held = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == table)
        assert filename in held["data"], name
        source = DEPLOY / "regions.json"
        assert held["data"][filename] == source.read_text(encoding="utf-8")  # the file compose mounts


def test_the_operations_runbook_says_every_service_reads_the_table() -> None:
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    assert SETTING in text and "deploy/regions.json" in text
