"""HTTP routes of identity: tokens, JWKS, who am I, people, machine clients, signing keys."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, Response
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from starlette.requests import HTTPConnection

from govmedia_common.app import RuntimeDep, SessionDep
from govmedia_common.errors import DomainError
from govmedia_common.idempotency import IdempotentRequest, JsonAnswer, idempotent_create
from govmedia_common.inputs import Identifier
from govmedia_common.pagination import Page, decode_cursor
from govmedia_common.problems import Problem
from govmedia_registry.deps import Admin, Cursor, IdempotencyKey, Limit, PeopleAdmin, Reader, page
from govmedia_registry.identity import lifecycle, login, oauth, revocation, service
from govmedia_registry.identity import repository as repo
from govmedia_registry.identity.safeguards import require_strong_password
from govmedia_registry.identity.schemas import (
    ClientIn,
    ClientOut,
    ClientSecretOut,
    PasswordChangeIn,
    PasswordResetIn,
    PersonIn,
    PersonOut,
    ReasonIn,
    TokenOut,
)
from govmedia_registry.identity.tokens import new_client_secret, published_jwks
from govmedia_registry.settings import registry_settings

router = APIRouter()


class _ClientBasic(HTTPBasic):
    """HTTP Basic client authentication whose malformed header is RFC 6749's ``invalid_client`` saying what to
    send (FastAPI's own answer was a bare 401 "Not authenticated")."""

    async def __call__(self, request: HTTPConnection) -> HTTPBasicCredentials | None:  # type: ignore[override]
        try:
            return await super().__call__(request)
        except HTTPException:
            detail = (
                "The Authorization: Basic header must carry base64 of client_id:client_secret "
                "(each form-urlencoded first, RFC 6749 2.3.1)."
            )
            raise Problem(
                401,
                "invalid-client",
                detail,
                headers={"WWW-Authenticate": 'Basic realm="govmedia"'},
                error="invalid_client",
                error_description=detail,
            ) from None


# RFC 6749 §2.3.1: a client may authenticate with HTTP Basic instead of the form.
_client_basic = _ClientBasic(
    scheme_name="HTTPBasic",  # the name the OpenAPI document always had
    auto_error=False,
    description="OAuth2 client authentication (client_id:client_secret)",
)


@router.post(
    "/v1/auth/token",
    response_model=TokenOut,
    tags=["identity"],
    summary="Issue a token (OAuth2 password or client_credentials grant)",
)
async def token(
    request: Request,
    session: SessionDep,
    rt: RuntimeDep,
    grant_type: Annotated[str, Form(description="password or client_credentials")],
    basic: Annotated[HTTPBasicCredentials | None, Depends(_client_basic)],
    username: Annotated[str | None, Form()] = None,
    password: Annotated[str | None, Form()] = None,
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    scope: Annotated[str | None, Form()] = None,
) -> TokenOut:
    # RFC 6749 3.1: no parameter twice. The last value used to win (username=nobody&username=admin signed
    # in admin), so a gateway or a log reading the first saw another request.
    oauth.refuse_repeated((await request.form()).multi_items())
    settings = registry_settings(rt.settings)
    if grant_type not in oauth.GRANTS:
        raise oauth.unsupported_grant_type(grant_type)
    try:
        if grant_type == "password":
            if not username or password is None:
                raise oauth.invalid_request("The password grant needs username and password.")
            jwt_token, scopes = await login.password_grant(
                session, rt.sessions, settings, username=username, password=password
            )
        else:
            cid, secret = oauth.client_credentials(basic, client_id, client_secret)
            jwt_token, scopes = await login.client_grant(
                session, rt.sessions, settings, client_id=cid, client_secret=secret, scope=scope
            )
    except DomainError as exc:
        raise oauth.as_rfc6749(exc, grant_type) from exc
    return TokenOut(access_token=jwt_token, expires_in=service.TOKEN_TTL_SECONDS, scope=" ".join(scopes))


@router.get("/.well-known/jwks.json", tags=["identity"], summary="Public keys that verify registry tokens")
async def jwks(session: SessionDep) -> dict[str, Any]:
    return await published_jwks(session)


@router.get(
    "/.well-known/revocations",
    tags=["identity"],
    summary="Revoked token generations and retired keys after a sequence number (every service polls this)",
)
async def revocations(
    session: SessionDep, after: Annotated[int, Query(ge=0, le=2**62)] = 0
) -> dict[str, Any]:
    return await revocation.feed(session, after)


@router.get("/v1/me", tags=["identity"], summary="Who the token says you are")
async def me(principal: Reader) -> dict[str, Any]:
    return {
        "subject": principal.subject,
        "name": principal.name,
        "kind": principal.kind,
        "region_code": principal.region_code,
        "unit_id": principal.unit_id,
        "roles": sorted(principal.roles),
        "scopes": sorted(principal.scopes),
    }


@router.post(
    "/v1/people",
    status_code=201,
    response_model=PersonOut,
    tags=["people"],
    summary="Register a person with roles (office admin; unit admin for their own unit)",
)
async def create_person(
    body: PersonIn,
    session: SessionDep,
    principal: PeopleAdmin,
    rt: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    require_strong_password(
        body.password, (body.username, body.display_name), registry_settings(rt.settings).password_min_score
    )
    payload = body.model_dump(mode="json")
    payload["password"] = "***"  # the hash of the request must not keep the password

    async def make() -> tuple[dict[str, Any], dict[str, str]]:
        person = await service.create_person(
            session,
            principal,
            username=body.username,
            display_name=body.display_name,
            password=body.password,
            unit_id=body.unit_id,
            region_code=body.region_code,
            roles=list(body.roles),
            clock=rt.clock,
        )
        return PersonOut.model_validate(person).model_dump(mode="json"), {}

    return await idempotent_create(
        session, principal=principal.subject, key=idempotency_key, route="people", payload=payload, make=make
    )


@router.get(
    "/v1/people",
    description=(
        "Order: by id (ascending; ids are random, so a person registered during a walk lands anywhere in "
        "it), none that existed when the walk began is missed or repeated."
    ),
    response_model=Page[PersonOut],
    tags=["people"],
)
async def list_people(
    session: SessionDep, principal: Reader, limit: Limit = 100, cursor: Cursor = None
) -> dict[str, Any]:
    rows = await repo.list_people(
        session, principal, limit=limit, cursor=decode_cursor(cursor, str, of="/v1/people")
    )
    return page([PersonOut.model_validate(p) for p in rows], limit, lambda p: p.id, of="/v1/people")


@router.post(
    "/v1/clients",
    status_code=201,
    response_model=ClientOut,
    tags=["identity"],
    summary="Register a machine client; its secret is shown once",
)
async def create_client(
    body: ClientIn, session: SessionDep, principal: Admin, idempotency_key: IdempotencyKey = None
) -> Any:
    # A retry with the key answers the first client. Its secret is shown once and never kept (the stored
    # answer has client_secret null): a caller that lost it rotates it (POST /v1/clients/{id}/secret).
    request = IdempotentRequest(
        session, principal=principal.subject, key=idempotency_key, route="clients", payload=body
    )
    if (replay := await request.replay()) is not None:
        return replay
    secret = new_client_secret()
    client = await service.create_client(
        session,
        principal,
        name=body.name,
        region_code=body.region_code,
        unit_id=body.unit_id,
        scopes=list(body.scopes),
        secret=secret,
    )
    answer = ClientOut(
        client_id=client.id,
        name=client.name,
        region_code=client.region_code,
        unit_id=client.unit_id,
        scopes=client.scopes,
    ).model_dump(mode="json")
    await request.store(201, answer)
    return JsonAnswer({**answer, "client_secret": secret}, status_code=201)


@router.post(
    "/v1/admin/signing-keys",
    status_code=201,
    tags=["identity"],
    summary="Rotate: add a new token signing key (province office admin)",
)
async def rotate_signing_key(session: SessionDep, principal: Admin) -> dict[str, str]:
    kid = await service.rotate_signing_key(session, principal)
    return {
        "kid": kid,
        "detail": "New tokens are signed with this key; older keys stay published until retired.",
    }


@router.post(
    "/v1/admin/signing-keys/{kid}/retire",
    tags=["identity"],
    summary="Retire an old signing key: tokens it signed stop verifying (province office admin)",
)
async def retire_signing_key(kid: str, session: SessionDep, principal: Admin) -> dict[str, str]:
    await service.retire_signing_key(session, principal, kid)
    await revocation.record_retired_key(session, kid)  # every service drops it within seconds
    return {"kid": kid, "detail": "retired"}


# -------------------------------------------------------------------------- after registration (issue 9)


@router.post(
    "/v1/people/{person_id}/deactivation",
    response_model=PersonOut,
    tags=["people"],
    summary="Deactivate a person: no sign-in, and every token they hold is refused within seconds",
)
async def deactivate_person(
    person_id: Identifier, body: ReasonIn, session: SessionDep, principal: PeopleAdmin
) -> PersonOut:
    row = await lifecycle.set_active(session, principal, person_id, active=False, reason=body.reason)
    return PersonOut.model_validate(row)


@router.post(
    "/v1/people/{person_id}/reactivation",
    response_model=PersonOut,
    tags=["people"],
    summary="Reactivate a person (they sign in again; tokens from before stay revoked)",
)
async def reactivate_person(
    person_id: Identifier, body: ReasonIn, session: SessionDep, principal: PeopleAdmin
) -> PersonOut:
    row = await lifecycle.set_active(session, principal, person_id, active=True, reason=body.reason)
    return PersonOut.model_validate(row)


@router.put(
    "/v1/me/password",
    status_code=204,
    tags=["identity"],
    summary="Change your password; your other tokens stop working",
)
async def change_password(
    body: PasswordChangeIn, session: SessionDep, principal: Reader, rt: RuntimeDep
) -> Response:
    await lifecycle.change_own_password(
        session,
        principal,
        current=body.current_password,
        new=body.new_password,
        min_score=registry_settings(rt.settings).password_min_score,
    )
    return Response(status_code=204)


@router.post(
    "/v1/people/{person_id}/password-reset",
    status_code=204,
    tags=["people"],
    summary="Set a new password for a person who lost theirs (their tokens stop working)",
)
async def reset_password(
    person_id: Identifier,
    body: PasswordResetIn,
    session: SessionDep,
    principal: PeopleAdmin,
    rt: RuntimeDep,
) -> Response:
    await lifecycle.reset_password(
        session,
        principal,
        person_id,
        new=body.new_password,
        min_score=registry_settings(rt.settings).password_min_score,
    )
    return Response(status_code=204)


@router.post(
    "/v1/people/{person_id}/token-revocation",
    status_code=204,
    tags=["people"],
    summary="Sign a person out everywhere: every token issued to them so far stops working (their admin)",
)
async def revoke_person_tokens(
    person_id: Identifier, body: ReasonIn, session: SessionDep, principal: PeopleAdmin
) -> Response:
    await lifecycle.revoke_tokens(session, principal, person_id, reason=body.reason)
    return Response(status_code=204)


@router.post(
    "/v1/clients/{client_id}/secret",
    response_model=ClientSecretOut,
    tags=["identity"],
    summary="Rotate a machine client's secret (shown once); the old secret and its tokens stop working",
)
async def rotate_client_secret(
    client_id: Identifier, body: ReasonIn, session: SessionDep, principal: Admin
) -> ClientSecretOut:
    secret = await lifecycle.rotate_client_secret(session, principal, client_id, reason=body.reason)
    return ClientSecretOut(client_id=client_id, client_secret=secret)
