"""Layer 1, integration: scipy DOP853 for one start, the batched DOP853 for many, the optional
torch array backend, and ensembles of systems integrated at once.

Imports only :mod:`linrbp.core`.
"""
