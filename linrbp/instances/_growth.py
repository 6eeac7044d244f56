"""How a flow that does not settle grows: |X(t)| ~ t^p or e^{r t} over the last stretch of a run.

When ``simulate`` ends at time-limit or step-limit the accepted steps of the last stretch
(t in [t_end / 4, t_end]) are fitted, matrix by matrix (A1.., C1.., a rule's extra state, and the
product P), by both laws: log|X| linear in log t (power, exponent p) and log|X| linear in t
(exponential, rate r), each on 64 points interpolated evenly in its own variable. The law with
the smaller root-mean-square residual of log|X| is reported, with that residual and R^2; the
other law's residual is reported too, so a reader sees how clearly one law won. For P the
record says whether it still moves: its relative change over the stretch.
"""

from __future__ import annotations

import numpy as np

__all__ = ["growth_report", "growth_summary", "STRETCH", "MOVE_TOL"]

STRETCH = 0.25          # the last stretch: t in [STRETCH * t_end, t_end]
MOVE_TOL = 1e-6         # P "still moves" when |P(t_end) - P(t_start)| > MOVE_TOL (1 + |P(t_end)|)
_POINTS = 64
_MIN_SAMPLES = 8


def _fit(x, logn):
    """Least squares logn ~ slope x + c: (slope, rms residual, R^2)."""
    A = np.stack([x, np.ones_like(x)], axis=1)
    coef, *_ = np.linalg.lstsq(A, logn, rcond=None)
    res = logn - A @ coef
    ss = float(np.sum((logn - logn.mean()) ** 2))
    r2 = 1.0 - float(np.sum(res ** 2)) / ss if ss > 0 else None  # None: |X| constant
    return float(coef[0]), float(np.sqrt(np.mean(res ** 2))), r2


def fit_growth(t: np.ndarray, norms: np.ndarray) -> dict | None:
    """The better of |X| ~ t^p and |X| ~ e^{rt} for samples ``norms`` at increasing times ``t``
    (all > 0); None where a norm vanishes (no logarithm)."""
    t, norms = np.asarray(t, float), np.asarray(norms, float)
    if len(t) < 2 or np.any(norms <= 0) or not np.all(np.isfinite(norms)) or t[0] <= 0:
        return None
    logn = np.log(norms)
    lt = np.linspace(np.log(t[0]), np.log(t[-1]), _POINTS)
    p, rms_p, r2_p = _fit(lt, np.interp(lt, np.log(t), logn))
    tt = np.linspace(t[0], t[-1], _POINTS)
    r, rms_e, r2_e = _fit(tt, np.interp(tt, t, logn))
    if rms_p <= rms_e:
        return {"law": "power", "exponent": p, "rms_residual": rms_p, "r2": r2_p,
                "other_law_rms_residual": rms_e}
    return {"law": "exponential", "rate": r, "rms_residual": rms_e, "r2": r2_e,
            "other_law_rms_residual": rms_p}


def growth_report(system, ts, ys) -> dict:
    """``growth``: {matrix name: fit} over the last stretch of the samples (``ts`` increasing,
    ``ys`` the flat states), plus ``"P"`` with ``moves`` and ``relative_change``; a dict with
    ``note`` alone when the stretch holds too few samples."""
    ts, ys = np.asarray(ts, float), np.asarray(ys, float)
    if len(ts) == 0:
        return {"note": "no samples of the path were recorded"}
    t_end = ts[-1]
    keep = ts >= STRETCH * t_end
    keep &= ts > 0
    if keep.sum() < _MIN_SAMPLES:
        return {"note": f"too few accepted steps in the last stretch (t >= {STRETCH:g} t_end) to fit a law "
                        f"({int(keep.sum())} < {_MIN_SAMPLES})"}
    t, Y = ts[keep], ys[keep]
    weights, feedback = system.unpack(Y)
    mats = list(weights) + (list(feedback) if system.rule.adaptive else []) + system.unpack_state(Y)
    out = {"stretch": [float(t[0]), float(t_end)], "samples": int(len(t))}
    for name, M in zip(system.state_names(), mats):
        out[name] = fit_growth(t, np.linalg.norm(M.reshape(len(t), -1), axis=1))
    P = np.stack([system.product([W[i] for W in weights]) for i in range(len(t))])
    fit = fit_growth(t, np.linalg.norm(P.reshape(len(t), -1), axis=1)) or {}
    change = float(np.linalg.norm(P[-1] - P[0]))
    rel = change / (1.0 + float(np.linalg.norm(P[-1])))
    out["P"] = {**fit, "moves": bool(rel > MOVE_TOL), "relative_change": rel, "move_tolerance": MOVE_TOL}
    return out


def growth_summary(growth: dict) -> str:
    """One line: each matrix's law over the stretch and whether P still moves."""
    if "note" in growth and "stretch" not in growth:
        return growth["note"]
    parts = []
    for name, g in growth.items():
        if name in ("stretch", "samples", "P") or g is None:
            continue
        if g["law"] == "power":
            parts.append(f"|{name}| ~ t^{g['exponent']:.4g}")
        else:
            parts.append(f"|{name}| ~ e^({g['rate']:.4g} t)")
        parts[-1] += f" (R^2 {g['r2']:.6f})" if g["r2"] is not None else " (constant)"
    P = growth["P"]
    moves = ("P still moves" if P["moves"] else "P settled") + f" (relative change {P['relative_change']:.2g})"
    t0, t1 = growth["stretch"]
    return f"over t in [{t0:.4g}, {t1:.4g}]: " + ", ".join(parts) + f"; {moves}"
