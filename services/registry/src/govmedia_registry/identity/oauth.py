"""The token endpoint as OAuth 2.0 clients expect it (RFC 6749 §2.3.1 client authentication, §5.2 errors).

Every refusal keeps the platform's problem document (``code``, ``detail`` …) and carries RFC 6749's
``error`` and ``error_description`` members beside it, so a generic OAuth2 client reads it too.
Status codes: ``invalid_client`` 401; ``invalid_request``, ``unsupported_grant_type``, ``invalid_scope`` 400.
A wrong password (``invalid_grant``) stays 401 like every refused credential of the platform (the login
throttle and the audit count refusals by that status); RFC 6749 would answer 400, which generic clients
handle alike since they read ``error``.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import unquote

from fastapi.security import HTTPBasicCredentials

from govmedia_common.errors import DomainError, ErrorKind

GRANTS = ("password", "client_credentials")


def invalid_request(detail: str) -> DomainError:
    return DomainError(
        ErrorKind.BAD_REQUEST, "invalid-request", detail, error="invalid_request", error_description=detail
    )


def refuse_repeated(items: Iterable[tuple[str, object]]) -> None:
    """RFC 6749 3.1: a parameter is sent at most once; ``invalid_request`` naming the first repeated."""
    seen: set[str] = set()
    for name, _ in items:
        if name in seen:
            raise invalid_request(
                f"{name[:64]} is given more than once; send each parameter once (RFC 6749 3.1)."
            )
        seen.add(name)


def unsupported_grant_type(grant_type: str) -> DomainError:
    detail = "grant_type must be 'password' or 'client_credentials'."
    return DomainError(
        ErrorKind.BAD_REQUEST,
        "unsupported-grant-type",
        detail,
        error="unsupported_grant_type",
        error_description=detail,
    )


def client_credentials(
    basic: HTTPBasicCredentials | None, client_id: str | None, client_secret: str | None
) -> tuple[str, str]:
    """The client's id and secret from HTTP Basic (form-urlencoded, §2.3.1) or from the form, not both."""
    if basic is not None:
        if client_secret is not None or (client_id is not None and client_id != unquote(basic.username)):
            raise invalid_request("Authenticate the client one way: HTTP Basic or the form, not both.")
        return unquote(basic.username), unquote(basic.password)
    if not client_id or client_secret is None:
        raise invalid_request("client_credentials needs client_id and client_secret (or HTTP Basic).")
    return client_id, client_secret


def as_rfc6749(exc: DomainError, grant_type: str) -> DomainError:
    """The refusal of a grant with RFC 6749's error members (a throttle's 429 and the like pass unchanged)."""
    if "error" in exc.extensions:
        return exc
    if exc.kind is ErrorKind.UNAUTHENTICATED:
        error = "invalid_grant" if grant_type == "password" else "invalid_client"
        return DomainError(
            exc.kind, exc.code, exc.detail, error=error, error_description=exc.detail, **exc.extensions
        )
    if exc.code == "invalid-scope":
        return DomainError(
            ErrorKind.BAD_REQUEST, exc.code, exc.detail, error="invalid_scope", error_description=exc.detail
        )
    return exc
