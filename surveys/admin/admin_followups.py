"""Admin pages: followups (being built)."""
