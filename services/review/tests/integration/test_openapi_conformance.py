"""schemathesis finds no answer of the review service that contradicts its published OpenAPI (status codes,
content types, response schemas) and no 5xx, for positive and negative requests by the widest caller.

The runner and its budget are shared: ``govmedia_platform.conformance``.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from govmedia_common.auth import TokenVerifier
from govmedia_common.keys import SigningKey, jwks
from govmedia_common.settings import KafkaSettings, ServiceSettings
from govmedia_common.workdays import SHANGHAI, FixedClock
from govmedia_platform.conformance import assert_conforms, token_for_everything
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database
from govmedia_review.main import create_app

pytestmark = pytest.mark.integration


async def test_no_response_contradicts_the_published_openapi(
    infra: Infrastructure, kafka_topics: None
) -> None:
    url = await fresh_database(infra, "conformance_review", "review")
    settings = ServiceSettings(
        service_name="review",
        environment="test",
        database_url=url,
        kafka=KafkaSettings(bootstrap=infra.kafka_bootstrap),
        run_consumers=False,
        log_json=False,
        log_level="ERROR",
    )
    key = SigningKey.generate()
    verifier = TokenVerifier(issuer="govmedia-registry", audience="govmedia", jwks=jwks(key))
    clock = FixedClock(datetime(2025, 9, 26, 10, 0, tzinfo=SHANGHAI))
    app = create_app(settings, verifier=verifier, clock=clock)
    await assert_conforms(app, token_for_everything(key, app.openapi()), at_least=60)
