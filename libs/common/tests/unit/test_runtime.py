"""The runtime holds a service's own components by type, not in an untyped dict."""

from __future__ import annotations

import pytest

from govmedia_common.app import build_runtime
from govmedia_common.auth import TokenVerifier
from govmedia_common.settings import ServiceSettings


class EngineCache:
    pass


class Other:
    pass


def test_a_provided_component_comes_back_by_its_type_and_a_missing_one_is_named() -> None:
    runtime = build_runtime(
        ServiceSettings(service_name="probe"),
        verifier=TokenVerifier(issuer="i", audience="a", jwks={"keys": []}),
    )
    cache = EngineCache()
    runtime.provide(cache)
    assert runtime.component(EngineCache) is cache
    with pytest.raises(LookupError, match="no Other was provided to the probe runtime"):
        runtime.component(Other)
