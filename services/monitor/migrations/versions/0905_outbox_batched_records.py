"""outbox: a row may carry several records, shown one by one by the view outbox_records
(govmedia_common.shared_revisions.OutboxBatchedRecords)"""

from govmedia_common.shared_revisions import OutboxBatchedRecords as Shared

revision, down_revision = "outbox_0008", "0008"
branch_labels = depends_on = None
upgrade, downgrade = Shared.upgrade, Shared.downgrade
