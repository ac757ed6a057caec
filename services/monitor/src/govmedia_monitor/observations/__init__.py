"""Observations: what the platforms show (posts, metrics, messages, interaction), matching, the check."""
