"""ETag / If-Match for resources people edit concurrently (stale -> 412, missing -> 428)."""

from __future__ import annotations

from govmedia_common.problems import Problem


def etag(version: int) -> str:
    return f'W/"{version}"'


def require_if_match(if_match: str | None, current_version: int) -> None:
    """Refuse an edit that was not based on the current version."""
    if not if_match:
        raise Problem(
            428,
            "if-match-required",
            "Send If-Match with the ETag of the version you edited (GET the resource first).",
        )
    candidates = {c.strip() for c in if_match.split(",")}
    if "*" in candidates:
        return
    normalised = {c.removeprefix("W/") for c in candidates}
    if f'"{current_version}"' not in normalised:
        raise Problem(
            412,
            "stale-version",
            f"The resource changed since you read it (now version {current_version}); reload and retry.",
            current_etag=etag(current_version),
        )
