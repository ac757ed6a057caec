"""Settings judged as a whole, and the higher level's word over the lower (architecture decision 14).

Two checks run before a region's settings are stored, on what would apply there after inheritance:

1. **Consistency.** A combination that would make a later action fail is refused now, naming the key.
   Openings, merges and deregistrations change an account's status through the public announcement
   (pending → announcing → active, and so on), so they must stay announced; a change or a suspension may
   be applied at once.
2. **Tighten, never loosen.** Below the province a region may make the rules stricter, not laxer, unless a
   higher region allows it for that key (``{"authority": {"lower_levels_may_loosen":
   ["registry.approval_levels", ...]}}``, which only counts when set *above* the region being changed).
   Looser means: fewer approval levels for a filing type, a filing type no longer announced, more roles
   allowed to approve a level (editors approving), a longer filing deadline, a shorter announcement, more
   days before an account counts as a zombie.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
from collections.abc import Mapping, Sequence
from typing import Any

import jsonschema
from jsonschema import Draft202012Validator

from govmedia_common.errors import DomainError, ErrorKind
from govmedia_common.events import FilingType
from govmedia_common.json_values import schema_type_message
from govmedia_registry.regions.rules import RegistryRules

# Filing types whose effect goes through the announcement (accounts.domain.status_after_announcement).
MUST_BE_ANNOUNCED = (FilingType.OPEN, FilingType.MERGE, FilingType.DEREGISTER)
LOOSENABLE = (
    "registry.approval_levels",
    "registry.announced_filing_types",
    "registry.approver_roles",
    "registry.filing_deadline_workdays",
    "registry.announcement_workdays",
    "registry.zombie_days",
)


class SettingsRefused(DomainError):
    kind = ErrorKind.UNPROCESSABLE
    code = "settings-refused"


def _refuse(key: str, detail: str, code: str) -> SettingsRefused:
    error = SettingsRefused(f"{key}: {detail}", key=key)
    error.code = code
    return error


# The sections a region's settings may have: one per service that reads them, and the levels' authority.
# The review reads none (its rules come with each account: review_levels), so it has no section.
SECTIONS = ("registry", "monitor", "notify", "scoring", "authority")
# Those another service reads, each checked against its schema (sections/<name>.json, from that service).
SECTIONS_OF_OTHER_SERVICES = ("monitor", "notify", "scoring")


def check_sections(settings: Mapping[str, Any]) -> None:
    """Refuse a section no service reads (a typo would be stored and silently never apply), no object, or
    a section the reading service would not accept (an unknown key, a wrong type, a value out of range)."""
    for name, section in settings.items():
        if name not in SECTIONS:
            raise _refuse(
                name,
                f"no such section; the sections are {', '.join(SECTIONS)}",
                "unknown-settings-section",
            )
        if not isinstance(section, dict):
            raise _refuse(name, "must be an object of settings", "invalid-settings")
        if name not in SECTIONS_OF_OTHER_SERVICES:
            continue
        error = jsonschema.exceptions.best_match(_section_validators()[name].iter_errors(section))
        if error is not None:
            raise _refuse(_error_key(name, error), _error_detail(error), "invalid-settings")


# An integer is a JSON integer, as the services read their sections (govmedia_common.json_values): not 14.0.
_TYPES = Draft202012Validator.TYPE_CHECKER.redefine(
    "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool)
)
_Validator = jsonschema.validators.extend(Draft202012Validator, type_checker=_TYPES)


@functools.cache
def _section_validators() -> dict[str, Any]:
    """The schema of each section another service reads (``sections/<name>.json``, written by
    ``make contracts`` from that service's model), as validators."""
    folder = importlib.resources.files(__package__) / "sections"
    return {
        name: _Validator(json.loads((folder / f"{name}.json").read_text(encoding="utf-8")))
        for name in SECTIONS_OF_OTHER_SERVICES
    }


def _error_key(section: str, error: jsonschema.ValidationError) -> str:
    path = [str(part) for part in error.absolute_path]
    if error.validator == "additionalProperties":  # the key itself is what is wrong
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        path.append(extra[0] if extra else "")
    return ".".join([section, *path]).rstrip(".")


def _error_detail(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties":
        known = ", ".join(sorted(error.schema.get("properties", {})))
        return f"no such setting; the keys of this section are {known}"
    if error.validator == "type":
        return schema_type_message(error.validator_value, error.instance)
    return f"{error.message} (see GET /v1/regions/{{code}}/settings for the values that apply)"


def inconsistencies(rules: RegistryRules) -> list[tuple[str, str]]:
    """(key, why) for each combination that would make a later action fail."""
    missing = [str(t) for t in MUST_BE_ANNOUNCED if t not in rules.announced_filing_types]
    if not missing:
        return []
    return [
        (
            "registry.announced_filing_types",
            f"must include {', '.join(missing)}: those filings take effect through their public "
            "announcement (公示), so their final approval could not be applied",
        )
    ]


def loosenings(above: RegistryRules, here: RegistryRules) -> list[tuple[str, str]]:
    """(key, why) for each way ``here`` is laxer than what the regions ``above`` set."""
    found: list[tuple[str, str]] = []
    for filing_type, chain in above.approval_levels.items():
        dropped = [str(level) for level in chain if level not in here.approval_levels[filing_type]]
        if dropped:
            found.append(
                (
                    "registry.approval_levels",
                    f"{filing_type} filings would skip the level(s) {', '.join(dropped)}",
                )
            )
    unannounced = sorted(str(t) for t in above.announced_filing_types - here.announced_filing_types)
    if unannounced:
        found.append(("registry.announced_filing_types", f"no longer announced: {', '.join(unannounced)}"))
    for level, roles in here.approver_roles.items():
        extra = sorted(str(r) for r in roles - above.approver_roles.get(level, frozenset()))
        if extra:
            found.append(("registry.approver_roles", f"at the {level} level also: {', '.join(extra)}"))
    if here.filing_deadline_workdays > above.filing_deadline_workdays:
        found.append(("registry.filing_deadline_workdays", f"longer than {above.filing_deadline_workdays}"))
    if here.announcement_workdays < above.announcement_workdays:
        found.append(("registry.announcement_workdays", f"shorter than {above.announcement_workdays}"))
    if here.zombie_days > above.zombie_days:
        found.append(("registry.zombie_days", f"more than {above.zombie_days}"))
    return found


def _registry(layer: Mapping[str, Any]) -> Mapping[str, Any]:
    section = layer.get("registry", {})
    return section if isinstance(section, Mapping) else {}


def allowed_loosenings(layers_above: Sequence[Mapping[str, Any]]) -> frozenset[str]:
    """The keys some region above allows lower regions to loosen."""
    allowed: set[str] = set()
    for layer in layers_above:
        authority = layer.get("authority", {})
        if isinstance(authority, Mapping):
            keys = authority.get("lower_levels_may_loosen", [])
            if isinstance(keys, list):
                allowed.update(k for k in keys if isinstance(k, str))
    return frozenset(allowed)


def check(layers_above: Sequence[Mapping[str, Any]], settings: Mapping[str, Any], *, is_top: bool) -> None:
    """Refuse (422 naming the key) settings that are inconsistent, or looser than the regions above allow.

    ``layers_above``: the stored settings of the regions above, province first; ``settings``: the new own
    settings of the region; ``is_top``: the region is a province (nothing above it to loosen).
    """
    authority = settings.get("authority", {})
    if authority and not isinstance(authority, Mapping):
        raise _refuse("authority", "must be an object", "invalid-settings")
    unknown = sorted(set(authority) - {"lower_levels_may_loosen"}) if isinstance(authority, Mapping) else []
    if unknown:
        raise _refuse(f"authority.{unknown[0]}", "unknown setting", "invalid-settings")
    allowance = authority.get("lower_levels_may_loosen", []) if isinstance(authority, Mapping) else []
    if not isinstance(allowance, list) or any(k not in LOOSENABLE for k in allowance):
        raise _refuse(
            "authority.lower_levels_may_loosen",
            f"a list of keys among {', '.join(LOOSENABLE)}",
            "invalid-settings",
        )
    above = RegistryRules.from_layers([_registry(layer) for layer in layers_above])
    here = RegistryRules.from_layers([*(_registry(layer) for layer in layers_above), _registry(settings)])
    for key, why in inconsistencies(here):
        raise _refuse(key, why, "settings-inconsistent")
    if is_top:
        return
    allowed = allowed_loosenings(layers_above)
    for key, why in loosenings(above, here):
        if key not in allowed:
            raise _refuse(
                key,
                f"{why}; a lower region may tighten what the regions above set, not loosen it "
                "(unless they allow it in authority.lower_levels_may_loosen)",
                "loosens-higher-level",
            )
