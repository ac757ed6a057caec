"""Business gauges of the registry, exported on /metrics (see govmedia_common.gauges)."""

from govmedia_common.gauges import SqlGauge

GAUGES = (
    SqlGauge(
        "govmedia_accounts",
        "Accounts by status and platform (账号数).",
        "SELECT status, platform, count(*) FROM accounts GROUP BY status, platform",
        labels=("status", "platform"),
    ),
    SqlGauge(
        "govmedia_filings_pending",
        "Filings waiting for a decision at some level (待审核备案).",
        "SELECT count(*) FROM filings WHERE status = 'pending'",
    ),
    SqlGauge(
        "govmedia_filings_late",
        "Filings made after their 7-working-day deadline that are pending or in force (逾期备案).",
        "SELECT count(*) FROM filings WHERE late AND status IN ('pending', 'approved')",
    ),
    SqlGauge(
        "govmedia_signing_key_age_seconds",
        "Age of the newest active token-signing key; rotate before it grows old.",
        "SELECT extract(epoch FROM now() - max(created_at)) FROM signing_keys WHERE active",
    ),
)
