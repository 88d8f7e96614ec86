"""Admin pages: dashboard (being built)."""
