"""The registry's uniqueness rules the database enforces, named for the 409 a concurrent duplicate gets.

The checks in the services (naming rule R4, one username) read before they write; two requests at once can
both pass them. The unique constraints below close that gap, and ``govmedia_common.inputs`` turns their
violation into a 409 problem with the code and sentence registered here.
"""

from __future__ import annotations

from govmedia_common.inputs import register_unique_rule

register_unique_rule(
    "uq_accounts_live_unit_platform",
    "one-account-per-unit-per-platform",
    "One account per unit per platform: another opening for this unit on this platform was filed at the "
    "same moment and is now under way (同一单位在同一平台只能开设一个账号).",
)
register_unique_rule(
    "uq_people_username",
    "username-taken",
    "The username is taken; choose another.",
)
