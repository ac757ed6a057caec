"""Shared helpers of the govmedia-common tests: valid catalogue events built from a few ids."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from govmedia_common.events import (
    AccountFiled,
    AccountSnapshot,
    AccountStatus,
    AlertClass,
    AlertRaised,
    AlertRule,
    AlertSeverity,
    ApprovalLevel,
    AttentionTier,
    FilingType,
    PersonRegistered,
    Platform,
    RegionSettingsChanged,
)


class EventFactory:
    """Builds valid instances of a few catalogue events (the tests only need ids to vary)."""

    def snapshot(self, account_id: str, *, region: str = "331004") -> AccountSnapshot:
        return AccountSnapshot(
            account_id=account_id,
            name="台州市路桥区人民政府",
            platform=Platform.WECHAT,
            platform_account_id=None,
            unit_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"unit:{account_id}")),
            unit_name="台州市路桥区人民政府办公室",
            region_code=region,
            status=AccountStatus.PENDING,
            attention_tier=AttentionTier.ORDINARY,
            interaction_enabled=True,
            review_levels=3,
            certified=False,
            matrix_badge=None,
            outsourced=False,
        )

    def account_filed(self, account_id: str | None = None, *, reason: str | None = None) -> AccountFiled:
        account_id = account_id or str(uuid.uuid4())
        return AccountFiled(
            occurred_at=datetime.now(UTC),
            account_id=account_id,
            account=self.snapshot(account_id),
            filing_id=str(uuid.uuid4()),
            actor_id=str(uuid.uuid4()),
            filing_type=FilingType.OPEN,
            levels=(ApprovalLevel.UNIT, ApprovalLevel.COUNTY),
            reason=reason,
        )

    def person_registered(self) -> PersonRegistered:
        return PersonRegistered(
            occurred_at=datetime.now(UTC),
            person_id=str(uuid.uuid4()),
            name="张三",
            unit_id=str(uuid.uuid4()),
            region_code="331004",
            roles=("editor",),
        )

    def alert_raised(self, account_id: str | None = None) -> AlertRaised:
        return AlertRaised(
            occurred_at=datetime.now(UTC),
            alert_id=str(uuid.uuid4()),
            account_id=account_id or str(uuid.uuid4()),
            unit_id=str(uuid.uuid4()),
            region_code="331004",
            rule=AlertRule.NOT_UPDATED,
            severity=AlertSeverity.WARNING,
            alert_class=AlertClass.NOT_UPDATED,
            period="2025-W23",
            detail={"days_silent": 15, "threshold_days": 14},
        )

    def region_settings_changed(self, region: str = "331004") -> RegionSettingsChanged:
        return RegionSettingsChanged(
            occurred_at=datetime.now(UTC),
            region_code=region,
            settings={"not_updated_days": 14},
            changed_keys=("not_updated_days",),
            version=1,
            actor_id=str(uuid.uuid4()),
        )


@pytest.fixture
def events() -> EventFactory:
    return EventFactory()
