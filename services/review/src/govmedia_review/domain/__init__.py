"""Review domain: the post aggregate, the check summary, joint pushes, lexicon scopes, the rules' errors.

Plain Python: no I/O, no framework, no clock. A new rule of review goes into the module of the aggregate
it guards (``posts.py``, ``campaigns.py``), its refusal into ``errors.py``.
"""

from govmedia_review.domain.campaigns import *  # noqa: F403
from govmedia_review.domain.campaigns import __all__ as _campaigns
from govmedia_review.domain.checks import *  # noqa: F403
from govmedia_review.domain.checks import __all__ as _checks
from govmedia_review.domain.errors import *  # noqa: F403
from govmedia_review.domain.errors import __all__ as _errors
from govmedia_review.domain.lexicons import *  # noqa: F403
from govmedia_review.domain.lexicons import __all__ as _lexicons
from govmedia_review.domain.posts import *  # noqa: F403
from govmedia_review.domain.posts import __all__ as _posts

__all__ = [*_posts, *_checks, *_campaigns, *_errors, *_lexicons]
