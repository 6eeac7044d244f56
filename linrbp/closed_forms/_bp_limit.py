"""BP's limit with a bottleneck: the best rank-r approximation of P* in the S_II metric.

For A[N0, N1, ..., NL] under BP (a gradient flow of the loss) from a generic start, the product
reaches the minimum of the loss over products of rank <= r, r the narrowest hidden width
(docs/theory.md section 10, end of `rbp-limit`). With G = P* S_II^{1/2} = S_TI S_II^{-1/2} and
G = U diag(s) V^T its singular value decomposition, that minimum is

    P(inf) = G_r S_II^{-1/2},   G_r = U_r diag(s_1..s_r) V_r^T   (Eckart-Young),

unique when s_r > s_{r+1}; it is P* itself when r >= rank(G).
"""

from __future__ import annotations

import numpy as np

from ..core._errors import InputError
from ._rbp_limit import _sqrt_and_inverse

__all__ = ["bp_limit", "GAP_RTOL"]

GAP_RTOL = 1e-9  # s_r and s_{r+1} closer than this (relative to s_1) leave the limit undecided


def bp_limit(layers, sigma_ii, sigma_ti) -> dict:
    """``{"case", "fixed_point", "reason", "product", "narrowest_hidden", "singular_values"}`` of
    BP's limit from a generic start; ``product`` None where the case is undetermined."""
    layers = [int(n) for n in layers]
    r = min(layers[1:-1])
    out = {"case": "undetermined", "fixed_point": None, "product": None, "narrowest_hidden": r,
           "singular_values": None, "reason": ""}
    try:
        half, inv_half, _ = _sqrt_and_inverse(sigma_ii)
    except InputError as exc:
        out["reason"] = str(exc)
        return out
    G = np.asarray(sigma_ti, float) @ inv_half
    U, s, Vt = np.linalg.svd(G, full_matrices=False)
    out["singular_values"] = s.tolist()
    tol = max(G.shape) * np.finfo(float).eps * (s[0] if len(s) else 0.0)
    rank = int(np.sum(s > tol))
    if r >= rank:
        out.update(case="full-rank", fixed_point=True, product=G @ inv_half,
                   reason=f"narrowest hidden width {r} >= rank(S_TI S_II^(-1/2)) = {rank}: BP reaches P*")
        return out
    if s[r - 1] - s[r] <= GAP_RTOL * s[0]:
        out["reason"] = (f"s_{r} = {s[r - 1]:.6g} and s_{r + 1} = {s[r]:.6g} of S_TI S_II^(-1/2) coincide: the "
                         "best rank-r approximation is not unique, the limit depends on the start")
        return out
    Gr = (U[:, :r] * s[:r]) @ Vt[:r]
    out.update(case="bottleneck", fixed_point=True, product=Gr @ inv_half,
               reason=f"narrowest hidden width {r} < rank(S_TI S_II^(-1/2)) = {rank}: from a generic start BP "
                      f"reaches the best rank-{r} approximation of P* in the S_II metric (s_{r} = {s[r - 1]:.6g} "
                      f"> s_{r + 1} = {s[r]:.6g})")
    return out
