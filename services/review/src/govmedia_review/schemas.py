"""Request and response models of the review API (not the ORM models, not the events)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from govmedia_common.events import Platform
from govmedia_common.inputs import BoundedDateTime, Identifier
from govmedia_common.json_values import JsonBool, JsonDocuments, JsonInt

RegionCode = Annotated[str, Field(pattern=r"^[0-9]{6}$", examples=["331004"])]
Title = Annotated[str, Field(max_length=200, description="Title; may be empty for short posts.")]
Body = Annotated[str, Field(min_length=1, max_length=100_000)]
ContentHash = Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Out(BaseModel):
    """Responses read domain objects and rows directly (``model_validate(obj)``), never field by field."""

    model_config = ConfigDict(from_attributes=True)


OutT = TypeVar("OutT", bound=_Out)


def build(model: type[OutT], obj: object, **computed: Any) -> OutT:
    """A response read from ``obj``'s attributes, plus the few values computed for this answer only."""
    values = {name: computed[name] if name in computed else getattr(obj, name) for name in model.model_fields}
    return model.model_validate(values)


# ------------------------------------------------------------------------------------------------ checks


class CheckIn(_In):
    """A text to check without creating a post."""

    title: Title = ""
    body: Body
    is_reprint: JsonBool = False
    source: str | None = Field(None, max_length=200, description="Declared source of a repost (转载来源).")


class FindingOut(_Out):
    category: str = Field(description="Category in the event catalogue's vocabulary (FindingCategory).")
    check_category: str = Field(description="The check engine's own category.")
    severity: Literal["block", "warn"]
    field: Literal["title", "body", "source"]
    start: int = Field(description="Offset of the first character in the field's original text.")
    end: int = Field(description="Offset after the last character.")
    excerpt: str
    message: str
    suggestion: str
    rule_id: str


class CheckOut(_Out):
    blocking: bool
    findings_total: int
    serious_error_count: int
    exceeds_serious_error_limit: bool
    by_category: dict[str, int]
    by_severity: dict[str, int]
    lexicon_versions: dict[str, str] = Field(description="Kind → name@version of every lexicon used.")
    findings: list[FindingOut]


# ------------------------------------------------------------------------------------------------ posts


class PostIn(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "account_id": "6f1c2c8e-3a4b-4c5d-8e9f-0a1b2c3d4e5f",
                    "title": "路桥区政务服务中心国庆期间延时服务公告",
                    "body": "国庆期间，区政务服务中心每日9:00至17:00照常办理业务。",
                    "is_reprint": False,
                }
            ]
        }
    )

    account_id: Identifier
    title: Title = ""
    body: Body
    is_reprint: JsonBool = False
    source: str | None = Field(None, max_length=200, description="Named source of a repost (转载来源).")
    campaign_id: Identifier | None = Field(
        None, description="The joint push (联动推送) this post republishes."
    )


class PostEdit(_In):
    """The edited text of a returned post (a new revision)."""

    title: Title = ""
    body: Body
    is_reprint: JsonBool = False
    source: str | None = Field(None, max_length=200)


class ReviewIn(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"decision": "approve", "reason": "同意发布"},
                {"decision": "return", "reason": "第二段日期有误，请核实后修改。"},
            ]
        }
    )

    decision: Literal["approve", "refer", "return", "reject"] = Field(
        description="approve; refer (上报终审: a lower level sends a post with blocking findings to the "
        "final approver, with a note in reason); return (退回修改); reject"
    )
    reason: str | None = Field(
        None, max_length=2000, description="Required to return or reject; a comment otherwise."
    )
    override_reason: str | None = Field(
        None,
        max_length=2000,
        description="Final approver only: the written reason for approving over a blocking finding.",
    )


class PublicationIn(_In):
    platform_post_id: str = Field(min_length=1, max_length=200)
    url: str | None = Field(None, max_length=2000)
    published_at: BoundedDateTime
    content_hash: ContentHash = Field(description="Hash of what was published (govmedia_common.hashing).")


class StepOut(_Out):
    revision: int
    level: int
    level_name: str
    decision: str
    reviewer_id: str
    reviewer_name: str
    reason: str | None
    override_reason: str | None
    content_hash: str
    at: datetime


class ReviewerOut(_Out):
    level: int
    level_name: str
    reviewer_id: str
    reviewer_name: str
    reviewed_at: datetime


class RevisionOut(_Out):
    revision: int
    content_hash: str
    submitted_at: datetime
    blocking: bool
    lexicon_versions: dict[str, str]


class PublicationOut(_Out):
    platform_post_id: str
    url: str | None
    published_at: datetime
    published_by: str | None


class PostSummary(_Out):
    id: str
    account_id: str
    platform: str
    unit_id: str
    region_code: str
    campaign_id: str | None
    status: str
    revision: int
    review_levels: int
    current_level: int | None
    current_level_name: str | None
    title: str
    content_hash: str
    blocking: bool
    submitted_by: str
    submitted_by_name: str
    submitted_at: datetime
    version: int


class PostOut(PostSummary):
    body: str
    is_reprint: bool
    source: str | None
    check: CheckOut = Field(description="Machine check of the current revision.")
    steps: list[StepOut] = Field(description="Every review decision, all revisions, oldest first.")
    reviewers: list[ReviewerOut] = Field(description="Who approved each level of the current revision.")
    revisions: list[RevisionOut]
    override: bool
    override_reason: str | None
    approved_hash: str | None
    approved_at: datetime | None
    publication: PublicationOut | None


# ------------------------------------------------------------------------------------------------ lexicons


class LexiconIn(_In):
    """A new version of one lexicon kind: the engine's lexicon document."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(None, min_length=1, max_length=100, description="Defaults to the current name.")
    version: str | None = Field(
        None,
        min_length=1,
        max_length=50,
        pattern=r"^[0-9A-Za-z._-]+$",
        description="Version label; defaults to the next sequence number (r<n>). Must be new for the kind.",
    )
    entries: JsonDocuments = Field(
        max_length=50_000, description="Entries in the format of the kind (see GET)."
    )
    policy: dict[str, JsonInt] | None = Field(
        None,
        max_length=20,
        description="Protected formulations only, and only a province's list: the minimum length of a form "
        "for each kind of slip (similar_substitution 4, any_substitution 6, deletion 6, insertion 5, "
        "transposition 4, name_similar_substitution 3, name_insertion 4, name_transposition 3, "
        "name_deletion 4 by default).",
    )


class LexiconSummary(_Out):
    kind: str
    scope_region: str = Field(
        description="Region whose subtree the list applies to; 000000 is the shipped default."
    )
    replaces_base: bool = Field(
        description="True for the default and province lists; false for a lower office's additions."
    )
    name: str
    version: str
    seq: int
    entries: int
    active: bool
    created_by: str
    created_at: datetime


class LexiconOut(LexiconSummary):
    document: dict[str, Any]
    versions: list[str] = Field(description="Every version of this list (kind at this scope), newest first.")


# ------------------------------------------------------------------------------------------------ campaigns


class CampaignIn(_In):
    title: str = Field(min_length=1, max_length=200)
    body: Body
    deadline: BoundedDateTime
    account_ids: list[Identifier] | None = Field(
        None, min_length=1, max_length=5000, description="Explicit targets."
    )
    region_code: RegionCode | None = Field(None, description="Or: every active account of this subtree…")
    platform: Platform | None = Field(None, description="…on this platform (all platforms when absent).")

    @model_validator(mode="after")
    def _one_way_of_targeting(self) -> CampaignIn:
        if (self.account_ids is None) == (self.region_code is None):
            raise ValueError("give either account_ids or region_code (with an optional platform)")
        if self.platform is not None and self.region_code is None:
            raise ValueError("platform narrows a region_code target; it cannot be used with account_ids")
        return self


class TargetOut(_Out):
    account_id: str
    account_name: str
    platform: str
    unit_id: str
    region_code: str
    state: Literal["pending", "on_time", "late"]
    overdue: bool = Field(description="Pending after the deadline.")
    post_id: str | None
    completed_at: datetime | None


class CampaignOut(_Out):
    id: str
    title: str
    body: str
    content_hash: str
    deadline: datetime
    issuer_id: str
    issuer_name: str
    issuer_region_code: str
    issued_at: datetime
    targeting: dict[str, Any]
    total: int
    completed: int
    on_time: int
    late: int
    pending: int
    completion_rate: float = Field(description="协同完成率: completed targets over all targets (0..1).")
    on_time_rate: float = Field(description="Targets completed by the deadline over all targets (0..1).")
    targets: list[TargetOut]


class CampaignSummary(_Out):
    id: str
    title: str
    deadline: datetime
    issuer_region_code: str
    issued_at: datetime
