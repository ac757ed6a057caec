"""The registry's published OpenAPI document: OAuth2 security with each operation's scopes, and every
problem+json answer an operation can give, on one shared ``Problem`` schema.

The machinery is shared (:mod:`govmedia_common.openapi`); the registry adds that the token endpoint is its
own (a relative ``tokenUrl``) and grants every scope. ``contracts/openapi/registry.json`` is the committed
snapshot; ``govmedia openapi write --service registry`` (or ``python -m govmedia_registry.openapi --write``)
regenerates it deliberately.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from fastapi import FastAPI

from govmedia_common import openapi
from govmedia_registry.identity.domain import ALL_SCOPES

TOKEN_URL = openapi.REGISTRY_TOKEN_PATH
SNAPSHOT = Path("contracts/openapi/registry.json")


def install(app: FastAPI) -> None:
    """Serve the shared document (``govmedia_common.openapi``) with the registry's own token endpoint."""
    openapi.install(app, token_url=TOKEN_URL, scopes=sorted(ALL_SCOPES))


def snapshot_text(app: FastAPI) -> str:
    """The snapshot as committed: sorted keys, two-space indent, real characters (not escapes)."""
    return json.dumps(app.openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _offline_app() -> FastAPI:
    from govmedia_common.settings import KafkaSettings, ServiceSettings
    from govmedia_registry.main import create_app

    settings = ServiceSettings(
        service_name="registry",
        environment="test",
        database_url="postgresql+asyncpg://openapi@127.0.0.1:1/none",
        kafka=KafkaSettings(bootstrap="127.0.0.1:1"),
        log_json=False,
    )
    return create_app(settings)


def main() -> None:
    parser = argparse.ArgumentParser(description="Check or regenerate the registry's OpenAPI snapshot.")
    parser.add_argument("--write", action="store_true", help="write the snapshot (an announced change)")
    parser.add_argument("--path", type=Path, default=SNAPSHOT)
    args = parser.parse_args()
    text = snapshot_text(_offline_app())
    if args.write:
        args.path.parent.mkdir(parents=True, exist_ok=True)
        args.path.write_text(text, encoding="utf-8")
        print(f"wrote {args.path}")
    elif args.path.read_text(encoding="utf-8") != text:
        raise SystemExit(f"{args.path} is out of date: run python -m govmedia_registry.openapi --write")
    else:
        print(f"{args.path} is up to date")


if __name__ == "__main__":
    main()
