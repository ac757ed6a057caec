"""Public announcements (公示) of approved filings: who may read them is everyone."""
