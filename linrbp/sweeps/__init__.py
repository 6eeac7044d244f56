"""Sweeps over many instances (the probe of docs/theory.md section 6)."""
