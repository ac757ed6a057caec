"""Both deployments show the operator where to allow an intranet webhook receiver (notify refuses private
addresses unless GOVMEDIA_NOTIFY_WEBHOOK_ALLOWED_NETWORKS lists their network)."""

from __future__ import annotations

from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SETTING = "GOVMEDIA_NOTIFY_WEBHOOK_ALLOWED_NETWORKS"


def test_compose_names_the_webhook_networks_setting_commented_out_with_an_intranet_example() -> None:
    text = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    assert f'# {SETTING}: "10.20.0.0/16"' in text
    notify_env = yaml.safe_load(text)["services"]["notify"]["environment"]
    assert SETTING not in notify_env  # commented: nothing private is allowed by default


def test_kubernetes_config_has_the_setting_empty_with_an_intranet_example_beside_it() -> None:
    text = (DEPLOY / "k8s" / "govmedia.yaml").read_text(encoding="utf-8")
    config = next(d for d in yaml.safe_load_all(text) if d and d["kind"] == "ConfigMap")
    assert config["data"][SETTING] == ""  # nothing private is allowed by default
    comment, entry = text.split(f"  {SETTING}:")[0].splitlines()[-2:]
    assert "10.20.0.0/16" in comment + entry and entry.lstrip().startswith("#")
