"""Admin pages: surveys (being built)."""
