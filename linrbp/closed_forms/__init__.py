"""Layer 2, closed forms: the limits docs/theory.md proves (poly1d, chains, A[1,N,1], the
autoencoder and single-hidden systems, the non-linear chain), the scalar systems' batched
fields, and seeded draws of their instances.

Imports :mod:`linrbp.core` and :mod:`linrbp.integration`.
"""
