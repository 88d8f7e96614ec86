"""Tools for development and benchmarks: synthetic data (`dev synth`)."""
