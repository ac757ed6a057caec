"""Alerts: one per (account, rule, period), escalation, resolution, dismissal, lists."""
