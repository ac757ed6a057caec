"""Review HTTP API: parse, authorise, call the service, shape the answer.

HTTP lives here and only here: status codes, ETag and If-Match (checked before the service changes
anything), Idempotency-Key. Responses are read from domain objects and rows (``from_attributes``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Response

from govmedia_common.app import Authorize, Runtime, RuntimeDep, SessionDep
from govmedia_common.auth import Principal
from govmedia_common.concurrency import etag, require_if_match
from govmedia_common.errors import not_found
from govmedia_common.idempotency import IdempotencyKey, idempotent_create
from govmedia_common.pagination import Page, decode_cursor, encode_cursor
from govmedia_review import domain as d
from govmedia_review import lexicons, service
from govmedia_review import repository as repo
from govmedia_review import schemas as s
from govmedia_review.models import Lexicon

router = APIRouter()

Limit = Annotated[int, Query(ge=1, le=500, description="Page size")]
Cursor = Annotated[str | None, Query(description="Opaque cursor from the previous page's next_cursor")]
IfMatch = Annotated[str | None, Header(alias="If-Match", description="ETag of the version you read")]


Reader = Annotated[
    Principal,
    Depends(
        Authorize(
            any_scope=("review:read", "review:submit", "review:review", "review:campaign", "review:admin")
        )
    ),
]
Submitter = Annotated[Principal, Depends(Authorize("review:submit", roles=("editor", "unit_admin")))]
Publisher = Annotated[Principal, Depends(Authorize("review:submit"))]
Reviewer = Annotated[Principal, Depends(Authorize("review:review", roles=("reviewer", "approver")))]
LexiconAdmin = Annotated[Principal, Depends(Authorize("review:admin"))]
Issuer = Annotated[Principal, Depends(Authorize("review:campaign", roles=("office_staff", "office_admin")))]


def engines(rt: Runtime) -> lexicons.EngineCache:
    return rt.component(lexicons.EngineCache)


# ------------------------------------------------------------------------------------------------ checks


@router.post(
    "/v1/check",
    response_model=s.CheckOut,
    tags=["checks"],
    summary="Machine-check a text without creating a post (editors' pre-check)",
)
async def check(body: s.CheckIn, session: SessionDep, principal: Reader, rt: RuntimeDep) -> s.CheckOut:
    engine = await engines(rt).engine(session, principal.region_code)
    result = await service.run_check(
        engine, title=body.title, body=body.body, is_reprint=body.is_reprint, source=body.source
    )
    return s.CheckOut.model_validate(d.check_report(result["findings"], result["lexicon_versions"]))


# ------------------------------------------------------------------------------------------------ posts


def _post_json(post: d.PostWorkflow) -> dict[str, Any]:
    return s.PostOut.model_validate(post).model_dump(mode="json")


@router.post(
    "/v1/posts",
    status_code=201,
    response_model=s.PostOut,
    tags=["posts"],
    summary="Submit a post: machine-checked at once, then reviewed level by level",
)
async def submit_post(
    body: s.PostIn,
    session: SessionDep,
    principal: Submitter,
    rt: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    async def make() -> tuple[dict[str, Any], dict[str, str]]:
        post = await service.submit_post(session, principal, body, rt.clock, engines(rt))
        return _post_json(post), {"ETag": etag(post.version), "Location": f"/v1/posts/{post.id}"}

    return await idempotent_create(
        session,
        principal=principal.subject,
        key=idempotency_key,
        route="posts",
        payload=body,  # dumped and hashed only when the request has a key
        make=make,
        status=201,
    )


@router.get(
    "/v1/posts",
    description=(
        "Order: newest first, by the post's sequence number (unique); posts submitted during a walk come "
        "before its first page."
    ),
    response_model=Page[s.PostSummary],
    tags=["posts"],
    summary="Posts of your unit (unit staff) or region subtree (office staff), newest first",
)
async def list_posts(
    session: SessionDep,
    principal: Reader,
    status: d.PostStatus | None = None,
    account_id: str | None = None,
    campaign_id: str | None = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    rows = await repo.list_posts(
        session,
        principal,
        limit=limit,
        cursor=decode_cursor(cursor, int, of="/v1/posts"),
        status=str(status) if status else None,
        account_id=account_id,
        campaign_id=campaign_id,
    )
    return {
        "items": [s.PostSummary.model_validate(p) for p in rows],
        "next_cursor": encode_cursor([rows[-1].seq], of="/v1/posts") if len(rows) == limit else None,
    }


@router.get(
    "/v1/posts/{post_id}",
    response_model=s.PostOut,
    tags=["posts"],
    summary="A post with its findings, review steps and reviewers",
)
async def get_post(post_id: str, session: SessionDep, principal: Reader, response: Response) -> s.PostOut:
    post = await service.visible_post(session, principal, post_id)
    response.headers["ETag"] = etag(post.version)
    return s.PostOut.model_validate(post)


@router.put(
    "/v1/posts/{post_id}",
    response_model=s.PostOut,
    tags=["posts"],
    summary="Edit a returned post (submitter only): a new revision, checked again, from level 1",
)
async def edit_post(
    post_id: str,
    body: s.PostEdit,
    session: SessionDep,
    principal: Submitter,
    rt: RuntimeDep,
    response: Response,
    if_match: IfMatch = None,
) -> s.PostOut:
    post = await service.visible_post(session, principal, post_id, lock=True)
    require_if_match(if_match, post.version)
    post = await service.resubmit_post(session, principal, post, body, rt.clock, engines(rt))
    response.headers["ETag"] = etag(post.version)
    return s.PostOut.model_validate(post)


@router.post(
    "/v1/posts/{post_id}/reviews",
    response_model=s.PostOut,
    tags=["posts"],
    summary="Approve, return or reject at the level the post waits at (If-Match required)",
)
async def review_post(
    post_id: str,
    body: s.ReviewIn,
    session: SessionDep,
    principal: Reviewer,
    rt: RuntimeDep,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    async def make() -> tuple[dict[str, Any], dict[str, str]]:
        post = await service.visible_post(session, principal, post_id, lock=True)
        require_if_match(if_match, post.version)
        post = await service.review_post(session, principal, post, body, rt.clock)
        return _post_json(post), {"ETag": etag(post.version)}

    return await idempotent_create(
        session,
        principal=principal.subject,
        key=idempotency_key,
        route=f"posts/{post_id}/reviews",
        payload=body.model_dump(mode="json"),
        make=make,
        status=200,
    )


@router.post(
    "/v1/posts/{post_id}/publication",
    response_model=s.PostOut,
    tags=["posts"],
    summary="Record that the approved version was published (its hash must be the approved one)",
)
async def publish_post(
    post_id: str,
    body: s.PublicationIn,
    session: SessionDep,
    principal: Publisher,
    rt: RuntimeDep,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    async def make() -> tuple[dict[str, Any], dict[str, str]]:
        post = await service.visible_post(session, principal, post_id, lock=True)
        if if_match is not None:
            require_if_match(if_match, post.version)
        post = await service.publish_post(session, principal, post, body, rt.clock)
        return _post_json(post), {"ETag": etag(post.version)}

    return await idempotent_create(
        session,
        principal=principal.subject,
        key=idempotency_key,
        route=f"posts/{post_id}/publication",
        payload=body.model_dump(mode="json"),
        make=make,
        status=200,
    )


# ------------------------------------------------------------------------------------------------ lexicons


def _kind(kind: str) -> str:
    canonical = lexicons.canonical_kind(kind)
    if canonical is None:
        raise not_found("lexicon kind", kind)
    return canonical


async def _lexicon_out(session: SessionDep, row: Lexicon) -> s.LexiconOut:
    versions = [r.version for r in await repo.lexicon_versions_of(session, row.kind, row.scope_region)]
    return s.build(s.LexiconOut, row, versions=versions, replaces_base=d.is_base_scope(row.scope_region))


RegionParam = Annotated[
    str | None,
    Query(
        pattern="^[0-9]{6}$",
        description="Scope of the list (GB/T 2260 code): 000000 is the shipped default, a province's list "
        "replaces it, a city's or county's list adds terms for its own subtree. Default: your region.",
    ),
]


@router.get(
    "/v1/lexicons",
    response_model=list[s.LexiconSummary],
    tags=["lexicons"],
    summary="The active lists that apply in a region (default, province base, city and county additions)",
)
async def list_lexicons(
    session: SessionDep, principal: Reader, region: RegionParam = None
) -> list[s.LexiconSummary]:
    region = region or principal.region_code
    if not principal.can_see_region(region) and region not in d.scope_chain(principal.region_code):
        raise not_found("region", region)
    await lexicons.known_scope(session, principal, region)
    rows = await repo.active_lexicons(session, d.scope_chain(region))
    return [s.build(s.LexiconSummary, r, replaces_base=d.is_base_scope(r.scope_region)) for r in rows]


@router.get(
    "/v1/lexicons/{kind}",
    response_model=s.LexiconOut,
    tags=["lexicons"],
    summary="One list with its entries: the active version at a scope, or ?version=",
)
async def get_lexicon(
    kind: str,
    session: SessionDep,
    principal: Reader,
    response: Response,
    rt: RuntimeDep,
    version: Annotated[str | None, Query(max_length=50)] = None,
    region: RegionParam = None,
) -> s.LexiconOut:
    kind = _kind(kind)
    row = await lexicons.readable_lexicon(session, principal, kind, region, version, rt.clock.now())
    if version is None:
        response.headers["ETag"] = etag(row.seq)
    return await _lexicon_out(session, row)


@router.put(
    "/v1/lexicons/{kind}",
    response_model=s.LexiconOut,
    tags=["lexicons"],
    summary="Store a new version of a list at your region (or ?region= in your subtree); audited, announced",
    description="A province office replaces its province's list of any kind. A city or county office stores "
    "the terms it adds for its own subtree (sensitive, expressions, topics, protected, leaders, ads, "
    "opinions): it can neither remove a province term nor widen an allowlist "
    "(403 lexicon-kind-province-only). Send "
    'If-Match with the ETag of GET at the same region (W/"0" for a region without a list yet).',
)
async def put_lexicon(
    kind: str,
    body: s.LexiconIn,
    session: SessionDep,
    principal: LexiconAdmin,
    response: Response,
    rt: RuntimeDep,
    if_match: IfMatch = None,
    region: RegionParam = None,
) -> s.LexiconOut:
    kind = _kind(kind)
    scope = await lexicons.lexicon_scope(session, principal, region, kind)
    now = rt.clock.now()
    current = await lexicons.current_lexicon(session, scope, kind, now)
    require_if_match(if_match, current.seq)
    row = await lexicons.put_lexicon(session, principal, scope, current, body, now)
    response.headers["ETag"] = etag(row.seq)
    return await _lexicon_out(session, row)


# ------------------------------------------------------------------------------------------------ campaigns


def campaign_out(campaign: d.Campaign, now: datetime) -> s.CampaignOut:
    """The campaign with its progress and, per target, whether it is overdue now."""
    states = campaign.states()
    progress = d.campaign_progress(states)
    return s.build(
        s.CampaignOut,
        campaign,
        total=progress.total,
        completed=progress.on_time + progress.late,
        on_time=progress.on_time,
        late=progress.late,
        pending=progress.pending,
        completion_rate=round(progress.completion_rate, 4),
        on_time_rate=round(progress.on_time_rate, 4),
        targets=[
            s.build(
                s.TargetOut,
                target,
                state=str(state),
                overdue=state is d.TargetState.PENDING and now > campaign.deadline,
            )
            for target, state in zip(campaign.targets, states, strict=True)
        ],
    )


@router.post(
    "/v1/campaigns",
    status_code=201,
    response_model=s.CampaignOut,
    tags=["campaigns"],
    summary="Issue a joint push (联动推送) to accounts of your subtree",
)
async def issue_campaign(
    body: s.CampaignIn,
    session: SessionDep,
    principal: Issuer,
    rt: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    async def make() -> tuple[dict[str, Any], dict[str, str]]:
        campaign = await service.issue_campaign(session, principal, body, rt.clock)
        out = campaign_out(campaign, rt.clock.now()).model_dump(mode="json")
        return out, {"Location": f"/v1/campaigns/{campaign.id}"}

    return await idempotent_create(
        session,
        principal=principal.subject,
        key=idempotency_key,
        route="campaigns",
        payload=body.model_dump(mode="json"),
        make=make,
        status=201,
    )


@router.get(
    "/v1/campaigns",
    description=(
        "Order: newest issued first, by the campaign's sequence number (unique); campaigns issued during a "
        "walk come before its first page."
    ),
    response_model=Page[s.CampaignSummary],
    tags=["campaigns"],
    summary="Campaigns issued in your subtree, or targeting your unit",
)
async def list_campaigns(
    session: SessionDep, principal: Reader, limit: Limit = 100, cursor: Cursor = None
) -> dict[str, Any]:
    rows = await repo.list_campaigns(
        session, principal, limit=limit, cursor=decode_cursor(cursor, int, of="/v1/campaigns")
    )
    items = [s.CampaignSummary.model_validate(c) for c in rows]
    return {
        "items": items,
        "next_cursor": encode_cursor([rows[-1].seq], of="/v1/campaigns") if len(rows) == limit else None,
    }


@router.get(
    "/v1/campaigns/{campaign_id}",
    response_model=s.CampaignOut,
    tags=["campaigns"],
    summary="A campaign with each target (on time, late, pending) and the completion rate",
)
async def get_campaign(
    campaign_id: str, session: SessionDep, principal: Reader, rt: RuntimeDep
) -> s.CampaignOut:
    campaign = await service.visible_campaign(session, principal, campaign_id)
    return campaign_out(campaign, rt.clock.now())
