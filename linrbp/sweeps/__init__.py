"""Sweeps over many instances (the probe of THEORY.md section 6)."""
