"""Admin pages: audit (being built)."""
