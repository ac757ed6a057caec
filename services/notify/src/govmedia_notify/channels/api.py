"""Channels HTTP API: the in-app inbox, webhook subscriptions, deliveries and the dead list."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from govmedia_common.app import Authorize, RuntimeDep, SessionDep
from govmedia_common.auth import Principal
from govmedia_common.errors import DomainError, ErrorKind, not_found
from govmedia_common.idempotency import IdempotencyKey, idempotent_create
from govmedia_common.ids import new_id
from govmedia_common.pagination import decode_cursor, encode_cursor
from govmedia_common.scoping import can_see, sees_only_own_unit
from govmedia_notify.channels import repository as repo
from govmedia_notify.channels import schemas as s
from govmedia_notify.channels.addresses import AddressRefused, check_written_host
from govmedia_notify.channels.domain import Channel, DeliveryStatus
from govmedia_notify.channels.service import not_configured
from govmedia_notify.models import Subscription
from govmedia_notify.settings import NotifySettings

router = APIRouter()

Reader = Annotated[Principal, Depends(Authorize("notify:read"))]
Writer = Annotated[Principal, Depends(Authorize("notify:write"))]
Id = Annotated[str, Path(max_length=64)]


def _org(principal: Principal) -> str:
    if not principal.unit_id:
        raise DomainError(ErrorKind.FORBIDDEN, "no-organisation", "Your token names no unit or office.")
    return principal.unit_id


def _after(cursor: str | None, of: str) -> int | None:
    values = decode_cursor(cursor, int, of=of)  # the sequence number of the last message seen
    return int(values[0]) if values else None


@router.get(
    "/v1/inbox",
    description=(
        "Order: newest first, by the message's sequence number (unique); messages arriving during a walk "
        "come before its first page, none that existed is missed or repeated."
    ),
    tags=["inbox"],
    summary="Messages to your unit or office, newest first",
)
async def inbox(
    session: SessionDep,
    principal: Reader,
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> s.Page:
    rows = await repo.inbox(
        session, _org(principal), unread=unread, after=_after(cursor, "/v1/inbox"), limit=limit + 1
    )
    items = [s.MessageOut.model_validate(r) for r in rows[:limit]]
    nxt = encode_cursor([rows[limit - 1].seq], of="/v1/inbox") if len(rows) > limit else None
    return s.Page(items=items, next_cursor=nxt)


@router.post("/v1/inbox/{message_id}/read", tags=["inbox"], status_code=204, summary="Mark a message read")
async def mark_read(message_id: Id, session: SessionDep, principal: Reader, rt: RuntimeDep) -> Response:
    row = await repo.get_delivery(session, message_id)
    if row is None or row.channel != Channel.INBOX or row.org_id != _org(principal):
        raise not_found("Message", message_id)
    if row.read_at is None:
        row.read_at = rt.clock.now()
    return Response(status_code=204)


@router.post(
    "/v1/subscriptions",
    tags=["webhooks"],
    status_code=201,
    response_model=s.SubscriptionOut,
    summary="Subscribe a webhook to some kinds of messages",
)
async def subscribe(
    body: s.SubscriptionIn,
    session: SessionDep,
    principal: Writer,
    rt: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    settings = rt.settings
    assert isinstance(settings, NotifySettings)
    try:
        check_written_host(str(body.url), settings.webhook_networks)
    except AddressRefused as exc:
        raise DomainError(
            ErrorKind.UNPROCESSABLE, "webhook-address-refused", f"body.url: {exc}", key="url"
        ) from None

    async def make() -> tuple[Any, dict[str, str]]:
        # One active subscription of an address per organisation: a second one delivered every notice
        # to the same receiver again (a deployment script registering its receiver at every start).
        there = await repo.active_subscription_of(session, _org(principal), str(body.url))
        if there is not None:
            raise DomainError(
                ErrorKind.CONFLICT,
                "subscription-exists",
                f"Your organisation subscribes {there.url} already (subscription {there.id}); to change "
                f"its kinds, stop it (DELETE /v1/subscriptions/{there.id}) and subscribe anew.",
                subscription_id=there.id,
            )
        sub = Subscription(
            id=new_id(),
            org_id=_org(principal),
            region_code=principal.region_code,
            scope="unit" if sees_only_own_unit(principal) else "region",
            event_kinds=sorted({k.value for k in body.event_kinds}),
            url=str(body.url),
            secret=body.secret,
            active=True,
            created_by=principal.subject,
            created_at=rt.clock.now(),
        )
        await repo.add_subscription(session, sub)
        out = s.SubscriptionOut.model_validate(sub).model_dump(mode="json")
        return out, {"Location": f"/v1/subscriptions/{sub.id}"}

    return await idempotent_create(
        session,
        principal=principal.subject,
        key=idempotency_key,
        route="subscriptions",
        payload=body.model_dump(mode="json"),
        make=make,
    )


@router.get(
    "/v1/subscriptions",
    tags=["webhooks"],
    response_model=list[s.SubscriptionOut],
    summary="Subscriptions in your region",
)
async def subscriptions(session: SessionDep, principal: Reader) -> list[s.SubscriptionOut]:
    rows = await repo.subscriptions_of(session, principal.region_prefix)
    return [s.SubscriptionOut.model_validate(r) for r in rows if can_see(principal, r.region_code, r.org_id)]


@router.delete(
    "/v1/subscriptions/{subscription_id}", tags=["webhooks"], status_code=204, summary="Stop a subscription"
)
async def unsubscribe(subscription_id: Id, session: SessionDep, principal: Writer) -> Response:
    sub = await repo.get_subscription(session, subscription_id)
    if sub is None or not can_see(principal, sub.region_code, sub.org_id):
        raise not_found("Subscription", subscription_id)
    sub.active = False
    return Response(status_code=204)


_SENT = {
    Channel.INBOX: "in-app inbox, delivered when written",
    Channel.EMAIL: "e-mail through the SMTP server (GOVMEDIA_NOTIFY_SMTP_HOST)",
    Channel.SMS: "SMS through the HTTP gateway (GOVMEDIA_NOTIFY_SMS_GATEWAY_URL)",
    Channel.WEBHOOK: "signed POSTs to the subscribed webhooks",
}


@router.get(
    "/v1/channels",
    tags=["webhooks"],
    summary="The delivery channels and whether this deployment has them (no SMS gateway: sms not configured)",
)
async def channels(principal: Reader, rt: RuntimeDep) -> list[s.ChannelOut]:
    settings = rt.settings
    assert isinstance(settings, NotifySettings)
    missing = not_configured(settings)
    return [
        s.ChannelOut(channel=c, configured=c not in missing, detail=missing.get(c, _SENT[c])) for c in Channel
    ]


@router.get(
    "/v1/deliveries",
    description=(
        "Order: oldest written first, by the delivery's sequence number (unique); deliveries written during "
        "a walk come on its later pages, none that existed is missed or repeated."
    ),
    tags=["webhooks"],
    summary="Deliveries in your region (status=dead: the dead list)",
)
async def deliveries(
    session: SessionDep,
    principal: Reader,
    status: DeliveryStatus | None = None,
    channel: Channel | None = None,
    case_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> s.Page:
    rows = await repo.list_deliveries(
        session,
        prefix=principal.region_prefix,
        status=status.value if status else None,
        channel=channel.value if channel else None,
        case_id=case_id,
        after=_after(cursor, "/v1/deliveries"),
        limit=limit + 1,
    )
    visible = [r for r in rows[:limit] if can_see(principal, r.region_code, r.org_id)]
    nxt = encode_cursor([rows[limit - 1].seq], of="/v1/deliveries") if len(rows) > limit else None
    return s.Page(items=[s.DeliveryOut.model_validate(r) for r in visible], next_cursor=nxt)


@router.post(
    "/v1/deliveries/{delivery_id}/redelivery",
    tags=["webhooks"],
    response_model=s.DeliveryOut,
    summary="Send a dead delivery again (same delivery id)",
)
async def redeliver(delivery_id: Id, session: SessionDep, principal: Writer, rt: RuntimeDep) -> s.DeliveryOut:
    row = await repo.get_delivery(session, delivery_id)
    if row is None or not can_see(principal, row.region_code, row.org_id):
        raise not_found("Delivery", delivery_id)
    if row.status != DeliveryStatus.DEAD:
        raise DomainError(
            ErrorKind.RULE_VIOLATED,
            "not-dead",
            f"The delivery is {row.status}; only dead ones are redelivered.",
        )
    settings = rt.settings
    assert isinstance(settings, NotifySettings)
    missing = not_configured(settings)
    if row.channel in missing:  # sent again it could only fail as many times more, and go dead again
        raise DomainError(
            ErrorKind.RULE_VIOLATED,
            "channel-not-configured",
            f"This {row.channel} delivery cannot be sent again: {missing[Channel(row.channel)]}. Set it up "
            "first (GET /v1/channels shows the channels), then redeliver.",
            channel=row.channel,
        )
    row.status, row.attempts, row.next_attempt_at, row.claimed_until = (
        DeliveryStatus.PENDING,
        0,
        rt.clock.now(),
        None,
    )
    await session.flush()
    return s.DeliveryOut.model_validate(row)
