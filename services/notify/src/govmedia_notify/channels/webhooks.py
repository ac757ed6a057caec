"""What notify sends a webhook subscriber, declared in notify's OpenAPI under ``webhooks`` (OpenAPI 3.1): the
body, the headers and what the receiver answers. Nothing here is served: the dispatcher sends it
(``senders.WebhookSender``), and docs/webhooks.md tells how to verify the signature.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header

from govmedia_notify.channels.domain import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, Kind
from govmedia_notify.channels.schemas import WebhookDelivery

webhooks = APIRouter()


@webhooks.post(
    "delivery",
    operation_id="webhook_delivery",
    summary="A message to a webhook subscriber",
    description=(
        "notify POSTs each message of the kinds a subscription chose to its URL, signed with the "
        "subscription's secret. Answer any 2xx once the message is stored; anything else, or no answer "
        "within 10 s, is a failure and the same delivery (same id) is sent again with backoff until it is "
        "dead (GET /v1/deliveries?status=dead, POST /v1/deliveries/{id}/redelivery)."
    ),
    status_code=204,
    responses={204: {"description": "Stored (any 2xx will do)"}},
)
def delivery(
    body: WebhookDelivery,
    delivery_id: Annotated[
        str, Header(alias=DELIVERY_HEADER, description="The delivery id, as in the body: drop a repeat.")
    ],
    event: Annotated[Kind, Header(alias=EVENT_HEADER, description="The message's kind, as in the body.")],
    signature: Annotated[
        str,
        Header(
            alias=SIGNATURE_HEADER,
            pattern=r"^t=[0-9]+,v1=[0-9a-f]{64}$",
            description="t=<unix seconds>,v1=<hex of HMAC-SHA256(secret, t + '.' + raw body)>: verify it on "
            "the raw bytes and refuse a t more than 5 minutes off (docs/webhooks.md).",
        ),
    ],
) -> None:
    """Declared only (OpenAPI ``webhooks``): never called."""
