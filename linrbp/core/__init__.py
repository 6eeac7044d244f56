"""Layer 0, the dynamics core: learning rules (docs/theory.md section 0), data moments S_II and S_TI,
the averaged field dA_h/dt = B_h E(P) (A_{h-1}...A_1)^T, and the plumbing every layer shares
(input errors, atomic output, progress bars, finite-difference Jacobians).

Imports nothing else from linrbp. Public names are re-exported by :mod:`linrbp`.
"""
