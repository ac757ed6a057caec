"""The one error type services raise: :class:`DomainError` (a kind, a stable code, a sentence).

Services, domain objects and handlers raise ``DomainError`` and nothing HTTP-shaped; the app factory's one
exception handler (``govmedia_common.app.create_app``) turns it into ``application/problem+json`` with the
status of its kind, the ``code`` as the problem type, and any extensions as extra members.
This module imports no web framework, so ``domain`` modules may use it.

Example::

    from govmedia_common.errors import DomainError, ErrorKind

    if post.submitted_by == reviewer:
        raise DomainError(
            ErrorKind.FORBIDDEN, "submitter-cannot-review", "Whoever submitted a post never reviews it.",
            post_id=post.id,
        )
    # → 403 {"type": "urn:govmedia:problem:submitter-cannot-review", "code": "submitter-cannot-review",
    #        "detail": "Whoever submitted ...", "post_id": "…", ...}

A family of errors may subclass it and fix ``kind`` and ``code`` on the class::

    class OneStepPerPerson(DomainError):
        kind = ErrorKind.FORBIDDEN
        code = "one-step-per-person"

    raise OneStepPerPerson("You reviewed this revision already.")
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, overload


class ErrorKind(StrEnum):
    """What went wrong, in words a service understands; the app maps each to one HTTP status."""

    BAD_REQUEST = "bad_request"  # 400: the request cannot be understood (a malformed cursor)
    UNAUTHENTICATED = "unauthenticated"  # 401: no acceptable credentials
    FORBIDDEN = "forbidden"  # 403: the caller may not do this (audited)
    NOT_FOUND = "not_found"  # 404: does not exist, or is outside the caller's region
    CONFLICT = "conflict"  # 409: the current state does not allow it (a duplicate, a concurrent change)
    RULE_VIOLATED = "rule_violated"  # 409: a rule of the domain refuses it in the current state
    PRECONDITION_FAILED = "precondition_failed"  # 412: If-Match does not match
    PAYLOAD_TOO_LARGE = "payload_too_large"  # 413
    UNPROCESSABLE = "unprocessable"  # 422: well-formed but invalid by the rules (a missing reason)
    PRECONDITION_REQUIRED = "precondition_required"  # 428: If-Match is missing
    TOO_MANY_REQUESTS = "too_many_requests"  # 429
    UNAVAILABLE = "unavailable"  # 503: a dependency is down; retry later


HTTP_STATUS: dict[ErrorKind, int] = {
    ErrorKind.BAD_REQUEST: 400,
    ErrorKind.UNAUTHENTICATED: 401,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.RULE_VIOLATED: 409,
    ErrorKind.PRECONDITION_FAILED: 412,
    ErrorKind.PAYLOAD_TOO_LARGE: 413,
    ErrorKind.UNPROCESSABLE: 422,
    ErrorKind.PRECONDITION_REQUIRED: 428,
    ErrorKind.TOO_MANY_REQUESTS: 429,
    ErrorKind.UNAVAILABLE: 503,
}


class DomainError(Exception):
    """A refusal the caller can act on: ``kind`` (→ HTTP status), ``code`` (stable), ``detail`` (a sentence).

    Keyword ``extensions`` become extra members of the problem document (e.g. ``current_etag=...``).
    Subclasses may set ``kind`` and ``code`` on the class and be raised with the detail alone.
    """

    kind: ErrorKind = ErrorKind.RULE_VIOLATED
    code: str = "rule-violated"

    @overload
    def __init__(self, kind: ErrorKind | str, code: str, detail: str, /, **extensions: Any) -> None: ...
    @overload
    def __init__(self, detail: str, /, **extensions: Any) -> None: ...
    def __init__(self, /, *args: Any, **extensions: Any) -> None:
        # DomainError(kind, code, detail) or, for subclasses that fix kind and code, Subclass(detail).
        if len(args) == 3:
            kind, code, detail = args
            self.kind = ErrorKind(kind)
            self.code = str(code)
        elif len(args) == 1:
            (detail,) = args
        else:
            raise TypeError("DomainError(kind, code, detail, **extensions) or Subclass(detail, **extensions)")
        super().__init__(detail)
        self.detail: str = str(detail)
        self.extensions: dict[str, Any] = extensions

    @property
    def message(self) -> str:
        """The detail sentence (the name older domain code used)."""
        return self.detail

    @property
    def status(self) -> int:
        """The HTTP status of this error's kind (for the app's handler and for tests)."""
        return HTTP_STATUS[self.kind]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.kind.value!r}, {self.code!r}, {self.detail!r})"


def echo(value: object, limit: int = 80) -> str:
    """``value`` as text for an error's detail, cut to ``limit`` characters: an answer (and the audit
    entry of a refusal) never echoes the kilobytes a caller put in a path."""
    text = str(value)
    return text if len(text) <= limit else f"{text[:limit]}…"


def not_found(what: str, ident: object) -> DomainError:
    """404 that does not reveal whether the thing exists in a region the caller cannot see."""
    return DomainError(
        ErrorKind.NOT_FOUND, "not-found", f"{what} {echo(ident)} does not exist or is outside your region."
    )
