"""outbox: rows up to a page stored as written (govmedia_common.shared_revisions.OutboxRowsUncompressed)"""

from govmedia_common.shared_revisions import OutboxRowsUncompressed as Shared

revision, down_revision = "outbox_0007", "0006"
branch_labels = depends_on = None
upgrade, downgrade = Shared.upgrade, Shared.downgrade
