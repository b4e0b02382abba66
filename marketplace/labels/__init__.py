"""Provider labels: applications with evidence, administrator decisions, expiry."""
