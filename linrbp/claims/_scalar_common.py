"""Shared pieces of the scalar claims: batched integration of instance lists, error measures."""

from __future__ import annotations

import math

import numpy as np

from ..core import _fd
from ..closed_forms._closed_forms import rbp_to_srbp
from ..integration._integrate import integrate_batch
from ..closed_forms._scalar_systems import chain_rhs, chain_states

# Integration settings of the limit checks. conv_tol 1e-10: below it the state of stiff
# instances only jitters at DOP853's noise floor (|f| ~ rtol |y| |lambda|); the distance to the
# limit at stop is |f| / |lambda|, far below the 1e-8 tolerance for the instances drawn.
RTOL = 1e-12
CONV_TOL = 1e-10
T_MAX = 1e7

LIMIT_TOL = 1e-8
DRIFT_TOL = 1e-9


def rel_err(x, ref) -> float:
    """max |x - ref| / max |ref| (inf for non-finite values)."""
    x, ref = np.asarray(x, dtype=float), np.asarray(ref, dtype=float)
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(ref))):
        return math.inf
    scale = max(float(np.max(np.abs(ref))), 1e-300)
    return float(np.max(np.abs(x - ref)) / scale)


def srbp_feedback(inst) -> np.ndarray:
    """c_1..c_L (SRBP form, c_L = 1) of a chain instance."""
    fb = np.asarray(inst["feedback"], dtype=float)
    c = rbp_to_srbp(fb) if inst["rule"] == "rbp" else fb
    return np.append(c, 1.0)


def integrate_chains(instances, rule_key="rule", conv_tol=CONV_TOL):
    """Integrate chain instances grouped by (depth, rule); returns (status, weights_end) lists."""
    out_status = [None] * len(instances)
    out_y = [None] * len(instances)
    groups: dict = {}
    for i, inst in enumerate(instances):
        groups.setdefault((len(inst["weights"]), inst[rule_key]), []).append(i)
    for (L, rule), idx in groups.items():
        fb = [instances[i]["feedback"] if rule != "bp" else [] for i in idx]
        Y0 = chain_states([instances[i]["alpha"] for i in idx], [instances[i]["beta"] for i in idx],
                          np.asarray(fb, dtype=float).reshape(len(idx), -1),
                          [instances[i]["weights"] for i in idx])
        res = integrate_batch(chain_rhs(L, rule), Y0, T_MAX, rtol=RTOL, atol=RTOL * 1e-3,
                              conv_tol=conv_tol, max_steps=20000)
        for j, i in enumerate(idx):
            out_status[i] = str(res.status[j])
            out_y[i] = res.y[j, :L]
    return out_status, out_y


def fd_jacobian(fun, y, h=1e-6):
    """Central differences of fun at one point y (columns = d/dy_j); fun maps (n,) to (k,)."""
    return _fd.fd_jacobian(lambda Y: np.stack([np.asarray(fun(v), dtype=float) for v in Y]), y, h)


def sign_changes(values, noise) -> int:
    """Sign changes of a sampled function, ignoring samples within the noise level."""
    s = np.sign(np.where(np.abs(values) <= noise, 0.0, values))
    s = s[s != 0]
    return int(np.sum(s[1:] != s[:-1]))
