"""The review rules' refusals: each a ``DomainError`` with a fixed kind (→ HTTP status) and a stable code."""

from __future__ import annotations

from govmedia_common.errors import DomainError, ErrorKind

__all__ = [
    "BlockingFindings",
    "ContentDiffers",
    "DomainError",
    "ErrorKind",
    "FinalApproverRequired",
    "IllegalTransition",
    "InvalidLevels",
    "NotAReviewer",
    "NotTheSubmitter",
    "OneStepPerPerson",
    "OverrideNotApplicable",
    "OverrideReasonRequired",
    "PostNotInReview",
    "PublishedBeforeApproval",
    "ReasonRequired",
    "ReferNotApplicable",
    "SubmitterCannotReview",
]


class InvalidLevels(DomainError):
    """The number of review levels is below the minimum."""

    kind = ErrorKind.UNPROCESSABLE
    code = "invalid-review-levels"


class IllegalTransition(DomainError):
    """The post is not in a state that allows this step."""

    kind = ErrorKind.RULE_VIOLATED
    code = "illegal-transition"


class PostNotInReview(DomainError):
    """Nothing to decide: the post waits at no review level."""

    kind = ErrorKind.RULE_VIOLATED
    code = "post-not-in-review"


class NotAReviewer(DomainError):
    """The actor holds no reviewing role."""

    kind = ErrorKind.FORBIDDEN
    code = "reviewer-role-required"


class FinalApproverRequired(DomainError):
    """The last level (终审) is decided by an approver only."""

    kind = ErrorKind.FORBIDDEN
    code = "final-approver-required"


class SubmitterCannotReview(DomainError):
    """Whoever submitted a post never reviews it, in any revision."""

    kind = ErrorKind.FORBIDDEN
    code = "submitter-cannot-review"


class OneStepPerPerson(DomainError):
    """One person took a step of this revision already (review at another level, or publication)."""

    kind = ErrorKind.FORBIDDEN
    code = "one-step-per-person"


class BlockingFindings(DomainError):
    """A level below the last cannot pass a post with blocking findings."""

    kind = ErrorKind.RULE_VIOLATED
    code = "blocking-findings"


class OverrideReasonRequired(DomainError):
    """Approving over a blocking finding needs a written reason."""

    kind = ErrorKind.UNPROCESSABLE
    code = "override-reason-required"


class ReferNotApplicable(DomainError):
    """Only a level below the last refers, and only a post with blocking findings."""

    kind = ErrorKind.UNPROCESSABLE
    code = "refer-not-applicable"


class OverrideNotApplicable(DomainError):
    """An override reason was given where nothing is overridden."""

    kind = ErrorKind.UNPROCESSABLE
    code = "override-not-applicable"


class ReasonRequired(DomainError):
    """Returning or rejecting needs a reason."""

    kind = ErrorKind.UNPROCESSABLE
    code = "reason-required"


class NotTheSubmitter(DomainError):
    """Only the submitter edits and resubmits a returned post."""

    kind = ErrorKind.FORBIDDEN
    code = "not-the-submitter"


class ContentDiffers(DomainError):
    """What was published is not what was approved (carries ``approved_hash`` and ``published_hash``)."""

    kind = ErrorKind.RULE_VIOLATED
    code = "content-differs-from-approved"


class PublishedBeforeApproval(DomainError):
    """A publication time before the approval would be publication without review (未审先发)."""

    kind = ErrorKind.UNPROCESSABLE
    code = "published-before-approval"
