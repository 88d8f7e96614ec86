"""Admin pages: people (being built)."""
