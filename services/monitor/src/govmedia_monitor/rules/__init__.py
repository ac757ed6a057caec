"""Rules: thresholds per region, the pure rules, the working-day calendar, the set-based sweeps."""
