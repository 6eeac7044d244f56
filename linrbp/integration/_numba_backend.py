"""Optional compiled backend of :func:`linrbp.integrate_batch` (``backend="numba"``).

The same method as the numpy path, per trajectory in compiled code: scipy's DOP853
tableau (read from :mod:`linrbp.integration._dop853`, which reads it from scipy), the same
starting step, error norm, step control and event tests (in the same order, so the statuses
agree and the states agree to rounding), and :class:`~linrbp.LinearSystem`'s generated field,
the straight-line statements that :func:`linrbp.core._field._compile_field` derives from the
rule, written in scalar form. All of it is fused into one loop per trajectory, so a step
costs its arithmetic and nothing else: no temporaries, no per-call overhead, no frozen columns.
Systems of up to ``SCALAR_MAX_STATE`` states run ``LANES`` trajectories side by side in SIMD
registers (:func:`_lanes_source`); larger ones ``WIDE_LANES`` side by side in one buffer, the
field vectorised over them (the wide form, :func:`_wide_source`). The array form (``_KERNEL``,
one trajectory at a time) is the reference both are tested against.

The kernel is generated as a Python module file under the cache directory
(``$LINRBP_CACHE_DIR``, else ``$XDG_CACHE_HOME/linrbp``, else ``~/.cache/linrbp``), named by a
hash of the rule, the layer sizes and the sources it is generated from, and compiled by numba
with ``cache=True``, so a second process loads machine code instead of deriving and
compiling again. numba is optional (``pip install 'linrbp[jit]'``); without it, or for a field
it cannot compile (a plain callable, a system too large for a generated field),
:func:`integrate_batch` says so in one line on stderr and runs the numpy path.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

__all__ = ["numba_available", "cache_dir", "kernel_for", "run_numba", "numba_or_fallback", "Unsupported"]

UNROLL_MAX_STATE = 32
# Up to this many states the kernel is generated in lane form (_lanes_source).
SCALAR_MAX_STATE = 8
# Trajectories side by side in the lane form: 8 doubles fill an AVX-512 register (two AVX2
# ones). Measured on chain111 / the depth-4 chain (ns per step attempt, one core): one lane
# 142 / 216, 4 lanes 65 / 100, 8 lanes 54 / 62. Beyond 8 states the lane form's compile time
# grows too fast (A[5,4,3], 32 states: minutes), so those systems use the wide form.
LANES = 8
# Trajectories side by side in the wide form (_wide_source). Measured on A[5,4,3] (32 states,
# ns per step attempt, one core of an AMD EPYC (Zen 4) with AVX-512, 200 starts, all variants
# alternating in one process; the machine's noise is about 20%), once the stage sums were flat
# loops over padded blocks: 4 lanes 509, 8 lanes 435-445, 12 lanes 551, 16 lanes 467-479,
# 32 lanes 637 (the stage sums' loops over components around loops over lanes, before: 16
# lanes 538-544, 8 lanes 740, because LLVM left their stages scalar).
WIDE_LANES = 8
# Padding rows between the wide form's blocks of n rows (see _wide_source).
WIDE_PAD_ROWS = 1
# LLVM flags allowed beyond IEEE: none, or {"contract"} (fused multiply-adds; rounding only).
# None: then the vector form (its IR without flags, ._vector_form.FLAGS) and the array form do
# the same roundings and agree bit for bit (with contraction LLVM fuses the straight-line step
# and the array form's loops differently: the same statuses, states 1e-8 apart; the speed
# was the same within the machine's noise, measured on the bench's three systems).
FASTMATH = set()
# Systems whose field statements allow it run in the vector form (._vector_form); False: the
# numba forms below for every system.
VECTOR = True
# Bump when the generated code changes in a way the hashed sources do not show.
_TEMPLATE_VERSION = 3


class Unsupported(Exception):
    """The compiled backend cannot run this problem; the message says why (one line)."""


def numba_available() -> bool:
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def cache_dir() -> Path:
    """Where generated kernels and numba's compiled code are kept."""
    root = os.environ.get("LINRBP_CACHE_DIR")
    if root:
        return Path(root) / "numba"
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(xdg) / "linrbp" / "numba"


def _source_hash() -> str:
    """Hash of the sources the kernel is generated from (the rule, the stats, the field, the
    tableau and step rules, this module), read as files (importing them here would be a cycle)."""
    here = Path(__file__).resolve().parent
    files = [here.parent / "core" / f for f in ("_rules.py", "_stats.py", "_field.py")]
    files += [here / f for f in ("_dop853.py", "_integrate.py", "_numba_backend.py")]
    h = hashlib.sha256(str(_TEMPLATE_VERSION).encode())
    for path in files:
        h.update(path.read_bytes())
    return h.hexdigest()


_SOURCE_HASH: str | None = None


def _key(system) -> str:
    global _SOURCE_HASH
    if _SOURCE_HASH is None:
        _SOURCE_HASH = _source_hash()
    r = system.rule
    # The generated field's own text is part of the key: a rule is known by its statement, not
    # its name (a researcher who edits a rule's drift and keeps its name must not be handed the
    # old rule's machine code from the disk cache).
    fn = system._compiled_field()
    field_text = getattr(fn, "source", None) if fn is not None else None
    ident = repr((tuple(system.layers), r.name, r.channel, r.source, r.adaptive,
                  tuple(np.shape(C) for C in system.feedback), _SOURCE_HASH,
                  hashlib.sha256((field_text or "").encode()).hexdigest()))
    return hashlib.sha256(ident.encode()).hexdigest()[:24]


def _coefficient_sum(coefficients, stages, index) -> str:
    """``c0*K[0, i] + c1*K[1, i] + ...`` over the nonzero coefficients (exact float reprs)."""
    terms = [f"{float(c)!r} * K[{s}, {index}]" for c, s in zip(coefficients, stages) if c != 0.0]
    return " + ".join(terms) if terms else "0.0"


def generate_source(system, unroll: bool | None = None, inline: bool = False,
                    lanes: bool | None = None, wide: bool | None = None) -> str:
    """The kernel module's source for ``system`` (see the module docstring): the lane form
    (:func:`_lanes_source`) up to ``SCALAR_MAX_STATE`` states, else the wide form
    (:func:`_wide_source`); ``wide=False`` (with ``lanes=False``) gives the array form, one
    trajectory at a time (kept as the reference the other two are tested against)."""
    from . import _dop853 as core

    fn = system._compiled_field()
    if fn is None or not hasattr(fn, "statements"):
        raise Unsupported(f"no generated field for this system (n_state {system.n_state} > "
                          f"{type(system).__module__}.COMPILE_MAX_STATE)")
    st = fn.statements
    n, n_par = st["n_state"], st["n_par"]
    if lanes is None:
        lanes = n <= SCALAR_MAX_STATE
    if lanes:
        return _lanes_source(system, st, LANES)
    if wide is None:
        wide = True
    if wide:
        return _wide_source(system, st, WIDE_LANES)
    if unroll is None:
        # Unrolled stage sums are up to 1.4x faster (measured on A[5,4,3], 32 states) but
        # compile in time growing with the field; beyond 32 states the loop form.
        unroll = n <= UNROLL_MAX_STATE
    L = ["# Generated by linrbp.integration._numba_backend; do not edit (the file name is its key).",
         f"# System: layers {list(system.layers)}, rule {system.rule.name}; n_state {n}, {n_par} parameters.",
         "import math", "import numpy as np", "from numba import njit", "",
         f"FASTMATH = {FASTMATH!r}",
         "_JIT = dict(cache=True, nogil=True, error_model='numpy', fastmath=FASTMATH)", "",
         "", "@njit(**_JIT)", "def field(y, p, out, row):",
         "    # The rule's averaged field at one state, straight-line (from LinearSystem._compiled_field)."]
    L += [f"    y{i} = y[{i}]" for i in range(n)]
    L += [f"    p{j} = p[{j}]" for j in range(n_par)]
    L += [f"    {name} = {code}" for name, code in st["temps"]]
    L += [f"    out[row, {i}] = {code}" for i, code in enumerate(st["outputs"])]
    L += ["", ""]
    ns = core._NS
    # Rows 1..NS of the tableau (row NS: the weights B, giving y_new), nonzero entries only.
    rows = [core._A[r, :r] for r in range(1, ns)] + [core._B]
    starts, cols, coefs = [0, 0], [], []
    for row in rows:
        for j, c in enumerate(row):
            if c != 0.0:
                cols.append(j)
                coefs.append(float(c))
        starts.append(len(cols))
    e5_sum = _coefficient_sum(core._E5, range(ns + 1), "i")
    e3_sum = _coefficient_sum(core._E3, range(ns + 1), "i")
    def body(row, indent):
        pad = " " * indent
        out = [f"{pad}y{i} = yn[{i}]" for i in range(n)]
        out += [f"{pad}{name} = {code}" for name, code in st["temps"]]
        out += [f"{pad}K[{row}, {i}] = {code}" for i, code in enumerate(st["outputs"])]
        return out

    call = (lambda row, indent: body(row, indent)) if inline else (
        lambda row, indent: [" " * indent + f"field(yn, p, K, {row})"])
    if unroll:
        stage_lines = []
        for r, row in enumerate(rows, start=1):
            stage_lines += ["            for i in range(N):",
                            f"                yn[i] = y[i] + hh * ({_coefficient_sum(row, range(len(row)), 'i')})"]
            stage_lines += call(r, 12)
        stages = "\n".join(stage_lines)
    else:
        stages = "\n".join(_STAGE_LOOP.format(NS=ns).splitlines() + call("s", 16))
    params = "\n".join(f"        p{j} = p[{j}]" for j in range(n_par))
    tableau = (f"ROW = np.array({starts!r}, dtype=np.int64)\n"
               f"COL = np.array({cols!r}, dtype=np.int64)\n"
               f"COEF = np.array([{', '.join(repr(c) for c in coefs)}])\n")
    L.append(_KERNEL.format(
        start_step_8=textwrap.indent(_START_STEP.format(CONVERGED=core._CONVERGED, DIVERGED=core._DIVERGED), " " * 8),
        d_sum=_coefficient_sum(core._D_LAST, range(ns), "i"), STIFF_SQ=core._STIFF_SQ,
        step_control=textwrap.indent(_step_control("retry"), " " * 12),
        N=n, NS=ns, tableau=tableau, stages=stages, params=params, e5_sum=e5_sum, e3_sum=e3_sum,
        CONVERGED=core._CONVERGED,
        DIVERGED=core._DIVERGED, TIME_LIMIT=core._TIME_LIMIT, STEP_LIMIT=core._STEP_LIMIT,
        DAMP_ZONE=core._DAMP_ZONE, STABILITY_REAL=core._STABILITY_REAL, DAMP_FACTOR=core._DAMP_FACTOR))
    L.append(_AMAX_ABS)
    return "\n".join(L) + "\n"


# The wide form's kernel: W trajectories side by side in one flat buffer Z (row r of lane l at
# Z[r * W + l], every row offset a constant, so LLVM can prove the lanes' loops free of aliasing
# and vectorise them), one copy of the field over the lanes, step control per lane; the array
# form's operations per trajectory.
_WIDE = '''
N = {N}
W = {W}
NP = {NP}


@njit(**_JIT)
def field_lanes(Z):
    # The field at the W states in rows YN of Z, parameters in rows PR, into rows FOUT.
    for l in range(W):
{lane_field}


@njit(**_JIT)
def run(Y0, tmax_all, P, rtol, atol, conv_tol, bound, max_steps, lo, hi,
        code_out, t_out, y_out, steps_out, counters):
    Z = np.zeros({ROWS} * W)
    hs = np.ones(W)
    t = np.zeros(W)
    tlim = np.ones(W)
    steps = np.zeros(W, dtype=np.int64)
    bidx = np.zeros(W, dtype=np.int64)
    retry = np.zeros(W, dtype=np.bool_)
    act = np.zeros(W, dtype=np.bool_)
    cand = np.zeros(W, dtype=np.bool_)
    y = np.empty(N)
    yn = np.empty(N)
    K = np.empty((2, N))
    attempts = 0
    nxt = lo
    while True:
        for l in range(W):
            while not act[l] and nxt < hi:
                b = nxt
                nxt += 1
                p = P[b] if P.shape[0] > 1 else P[0]
{start_step_16}                for i in range(N):
                    Z[({YS} + i) * W + l] = y[i]
                    Z[i * W + l] = K[0, i]
                for j in range(NP):
                    Z[({PR} + j) * W + l] = p[j]
                hs[l] = h
                t[l] = 0.0
                tlim[l] = tmax
                steps[l] = 0
                retry[l] = False
                act[l] = True
                bidx[l] = b
        if not act.any():
            break
        for l in range(W):
            Z[{HH} * W + l] = min(hs[l], tlim[l] - t[l])
        for i in range(N):  # the step per lane, in every row of block HB
            for l in range(W):
                Z[({HB} + i) * W + l] = Z[{HH} * W + l]
        # Stages 1..NS-1, then rows YN = y_new (row NS holds the weights B) and K[NS] = f(y_new).
{stages}
        for l in range(W):
            Z[{E5} * W + l] = 0.0
            Z[{E3} * W + l] = 0.0
        for i in range(N):
            for l in range(W):
                sc = max(abs(Z[({YS} + i) * W + l]), abs(Z[({YN} + i) * W + l])) * rtol + atol
                a5 = ({e5_sum}) / sc
                a3 = ({e3_sum}) / sc
                Z[{E5} * W + l] += a5 * a5
                Z[{E3} * W + l] += a3 * a3
        for l in range(W):
            Z[{YNORM} * W + l] = 0.0
        for i in range(N):  # |y_new|_inf per lane, NaN if any component is NaN (as amax_abs)
            for l in range(W):
                a = abs(Z[({YN} + i) * W + l])
                m = Z[{YNORM} * W + l]
                Z[{YNORM} * W + l] = a if (a > m or a != a) else m
        for l in range(W):
            Z[{ACC} * W + l] = 0.0
            if not act[l]:
                continue
            y_norm = Z[{YNORM} * W + l]
            hh = Z[{HH} * W + l]
            e5 = Z[{E5} * W + l]
            e3 = Z[{E3} * W + l]
{step_control}            hs[l] = hh * factor
            retry[l] = not accept
            attempts += 1
            if accept:
                Z[{ACC} * W + l] = 1.0
                t[l] = t[l] + hh
                steps[l] += 1
        for l in range(W):
            Z[{FNORM} * W + l] = 0.0
        for i in range(N):  # |f(y_new)|_inf per lane: an accepted lane's |f| (as amax_abs)
            for l in range(W):
                a = abs(Z[({KNS} + i) * W + l])
                m = Z[{FNORM} * W + l]
                Z[{FNORM} * W + l] = a if (a > m or a != a) else m
        # Stiffness estimate (as _dop853._damped_steps), before K[0] takes f(y_new): only in
        # steps where some lane may be damped (accepted, even step count, |f| in the zone).
        candidate = False
        for l in range(W):  # as _dop853._damp_candidates
            cand[l] = False
            if act[l] and Z[{ACC} * W + l] != 0.0 and steps[l] % 2 == 0:
                y_norm = Z[{YNORM} * W + l]
                if Z[{FNORM} * W + l] <= {DAMP_ZONE!r} * (conv_tol * (1.0 + y_norm) + {STABILITY_REAL!r} * (rtol * y_norm + atol) / Z[{HH} * W + l]):
                    cand[l] = True
                    candidate = True
        if candidate:
            for l in range(W):
                Z[{SNUM} * W + l] = 0.0
                Z[{SDEN} * W + l] = 0.0
            for i in range(N):
                for l in range(W):
                    dl = {d_sum}
                    dk = Z[({KNS} + i) * W + l] - Z[({KLAST} + i) * W + l]
                    Z[{SDEN} * W + l] += dl * dl
                    Z[{SNUM} * W + l] += dk * dk
        for i in range(N):  # accepted lanes take y_new and f(y_new)
            for l in range(W):
                acc = Z[{ACC} * W + l] != 0.0
                Z[({YS} + i) * W + l] = Z[({YN} + i) * W + l] if acc else Z[({YS} + i) * W + l]
                Z[i * W + l] = Z[({KNS} + i) * W + l] if acc else Z[i * W + l]
        for l in range(W):
            if not act[l]:
                continue
            accept = Z[{ACC} * W + l] != 0.0
            y_norm = Z[{YNORM} * W + l]
            f_norm = Z[{FNORM} * W + l]
            hh = Z[{HH} * W + l]
            hn = hs[l]
            status = 0
            # Events (as _dop853._event_codes).
            if accept:
                if y_norm > bound:
                    status = {DIVERGED}
                elif f_norm <= conv_tol * (1.0 + y_norm):
                    status = {CONVERGED}
                elif t[l] >= tlim[l] * (1 - 1e-15):
                    status = {TIME_LIMIT}
            if status == 0:
                if steps[l] >= max_steps:
                    status = {STEP_LIMIT}
                elif hn <= 1e-14 * max(t[l], 1.0):
                    status = {DIVERGED}
            # Damped steps near the stopping rule (as _dop853._damped_steps).
            if status == 0 and cand[l] and Z[{SNUM} * W + l] >= {STIFF_SQ!r} * Z[{SDEN} * W + l]:
                hn = min(hn, {DAMP_FACTOR!r} * hh)
            hs[l] = hn
            if status != 0:
                b = bidx[l]
                code_out[b] = status
                t_out[b] = t[l]
                steps_out[b] = steps[l]
                for i in range(N):
                    y_out[b, i] = Z[({YS} + i) * W + l]
                # The lane computes on harmless values until it takes the next start.
                act[l] = False
                for i in range(N):
                    Z[({YS} + i) * W + l] = 0.0
                    Z[i * W + l] = 0.0
                hs[l] = 1.0
                t[l] = 0.0
                tlim[l] = 1.0
    counters[0] += attempts

'''


def _wide_source(system, st, lanes: int) -> str:
    """The kernel in wide form, for systems above ``SCALAR_MAX_STATE`` states: ``lanes``
    trajectories side by side in one flat buffer (``_WIDE``).

    The array form's method operation for operation (the same expressions per trajectory, so
    the same rounding and, measured, the same bits): each stage sum is one flat loop over a
    block of n rows (every component and lane; the step per lane sits in a block of its own),
    the error sums are loops over the lanes inside loops over components, blocks are padded
    (``WIDE_PAD_ROWS``), and the field is one copy of the generated
    statements inside a loop over the lanes (``field_lanes``), which LLVM compiles to SIMD
    instructions, one lane per vector element, because every row of the buffer sits at a
    constant offset (with separate arrays for the states, parameters and outputs LLVM cannot
    rule out aliasing and leaves the loop scalar: measured). The field writes scratch rows that
    the stage copies into its own (n W doubles; one field copy instead of one per
    stage keeps the compile time near the array form's). Starting steps, step control and
    events run per lane in loops over the lanes (not written out per lane as in the lane form,
    whose compile time grows with the field times the lanes). A lane takes the chunk's next
    start whenever its own trajectory ends."""
    from . import _dop853 as core

    n, n_par = st["n_state"], st["n_par"]
    ns = core._NS
    NP = max(n_par, 1)
    rows = [core._A[r, :r] for r in range(1, ns)] + [core._B]
    # Blocks of n rows (K[s], y, y_new, the step) start every S = n + WIDE_PAD_ROWS rows: with
    # S = n the blocks of A[5,4,3] (32 rows of 16 lanes) sat exactly 4096 bytes apart, all in
    # the same L1 cache sets, and a stage sum's 13 streams thrashed an 8-way cache (measured
    # 608 against 559 ns per step attempt with one padding row; at 8 lanes 444 against 436).
    S = n + WIDE_PAD_ROWS
    YS, YN = (ns + 1) * S, (ns + 2) * S
    PR = (ns + 3) * S
    HB = PR + NP
    FOUT = HB + S
    HH, E5, E3 = FOUT + n, FOUT + n + 1, FOUT + n + 2
    YNORM, FNORM, ACC = E3 + 1, E3 + 2, E3 + 3
    SNUM, SDEN = ACC + 1, ACC + 2
    n_rows = SDEN + 1

    def comb(coefficients, at=lambda block: f"({block} + i) * W + l"):
        """sum_s c_s K_s at index ``at(first row of block K_s)`` (component i, lane l; or ``q``)."""
        terms = [f"{float(c)!r} * Z[{at(s * S)}]" for s, c in enumerate(coefficients) if c != 0.0]
        return " + ".join(terms) if terms else "0.0"

    pad = " " * 8
    # Each state component and parameter is loaded just before the first statement that uses
    # it (shorter live ranges: fewer vector registers spilled; measured on A[5,4,3], 16 lanes).
    loads = {**{f"y{i}": f"Z[{(YN + i) * lanes} + l]" for i in range(n)},
             **{f"p{j}": f"Z[{(PR + j) * lanes} + l]" for j in range(n_par)}}
    statements = [(name, code) for name, code in st["temps"]]
    statements += [(f"Z[{(FOUT + i) * lanes} + l]", code) for i, code in enumerate(st["outputs"])]
    lane_field = []
    for target, code in statements:
        for name in dict.fromkeys(_LANE_NAMES.findall(code)):
            if name in loads:
                lane_field.append(f"{pad}{name} = {loads.pop(name)}")
        lane_field.append(f"{pad}{target} = {code}")
    stages = []
    for r, row in enumerate(rows, start=1):
        # One flat loop over the block (the step from block HB): with a loop over components
        # around one over lanes, LLVM left the stages with many terms scalar (measured: 6 of 12
        # stages at 16 lanes, all 12 at 8 lanes).
        stages += ["        for q in range(N * W):",
                   f"            Z[{YN} * W + q] = Z[{YS} * W + q] + Z[{HB} * W + q] * ({comb(row, lambda block: f'{block * lanes} + q')})",
                   "        field_lanes(Z)",
                   f"        for q in range(N * W):",
                   f"            Z[{r * S} * W + q] = Z[{FOUT} * W + q]"]
    L = ["# Generated by linrbp.integration._numba_backend (wide form); do not edit (the file name is its key).",
         f"# System: layers {list(system.layers)}, rule {system.rule.name}; n_state {n}, {n_par} parameters; "
         f"{lanes} lanes.", "import math", "import numpy as np", "from numba import njit", "",
         f"FASTMATH = {FASTMATH!r}",
         "_JIT = dict(cache=True, nogil=True, error_model='numpy', fastmath=FASTMATH)", "", "",
         "@njit(**_JIT)", "def field(y, p, out, row):",
         "    # The rule's averaged field at one state, straight-line (from LinearSystem._compiled_field)."]
    L += [f"    y{i} = y[{i}]" for i in range(n)]
    L += [f"    p{j} = p[{j}]" for j in range(n_par)]
    L += [f"    {name} = {code}" for name, code in st["temps"]]
    L += [f"    out[row, {i}] = {code}" for i, code in enumerate(st["outputs"])]
    L.append(_WIDE.format(
        start_step_16=textwrap.indent(_START_STEP.format(CONVERGED=core._CONVERGED, DIVERGED=core._DIVERGED), " " * 16),
        step_control=textwrap.indent(_step_control("retry[l]"), " " * 12),
        N=n, W=lanes, NP=NP, ROWS=n_rows, YS=YS, YN=YN, PR=PR, HH=HH, HB=HB, E5=E5, E3=E3, KNS=ns * S, KLAST=(ns - 1) * S,
        YNORM=YNORM, FNORM=FNORM, ACC=ACC, SNUM=SNUM, SDEN=SDEN, STIFF_SQ=core._STIFF_SQ,
        d_sum=comb(core._D_LAST),
        lane_field="\n".join(lane_field), stages="\n".join(stages),
        e5_sum=comb(core._E5), e3_sum=comb(core._E3),
        CONVERGED=core._CONVERGED,
        DIVERGED=core._DIVERGED, TIME_LIMIT=core._TIME_LIMIT, STEP_LIMIT=core._STEP_LIMIT,
        DAMP_ZONE=core._DAMP_ZONE, STABILITY_REAL=core._STABILITY_REAL, DAMP_FACTOR=core._DAMP_FACTOR))
    L.append(_AMAX_ABS)
    return "\n".join(L) + "\n"


_STAGE_LOOP = """\
            for s in range(1, {NS} + 1):
                for i in range(N):
                    acc = 0.0
                    for q in range(ROW[s], ROW[s + 1]):
                        acc += COEF[q] * K[COL[q], i]
                    yn[i] = y[i] + hh * acc"""

# |v|_inf for the array and the wide form (appended to both).
_AMAX_ABS = '''

@njit(**_JIT)
def amax_abs(v):
    # max |v_i|, NaN if any is NaN (as numpy's max).
    m = 0.0
    for i in range(N):
        a = abs(v[i])
        if a > m or a != a:
            m = a
    return m
'''


# A trajectory's start, shared by the array and the wide form: start b into y, converged at once
# (then ``continue``), else the starting step h (Hairer, Norsett & Wanner; scipy's
# select_initial_step) with f(y) in K[0]; K[1] and yn are scratch.
_START_STEP = '''\
for i in range(N):
    y[i] = Y0[b, i]
tmax = tmax_all[b]
field(y, p, K, 0)
if amax_abs(y) > bound:  # diverged before converged, at the start as at every step
    code_out[b] = {DIVERGED}
    t_out[b] = 0.0
    steps_out[b] = 0
    continue
if amax_abs(K[0]) <= conv_tol * (1.0 + amax_abs(y)):
    code_out[b] = {CONVERGED}
    t_out[b] = 0.0
    steps_out[b] = 0
    continue
d0 = 0.0
d1 = 0.0
for i in range(N):
    sc = atol + abs(y[i]) * rtol
    d0 += (y[i] / sc) ** 2
    d1 += (K[0, i] / sc) ** 2
d0 = math.sqrt(d0 / N)
d1 = math.sqrt(d1 / N)
if d0 < 1e-5 or d1 < 1e-5:
    h = 1e-6
else:
    h = 0.01 * d0 / max(d1, 1e-300)
h = min(h, tmax)
for i in range(N):
    yn[i] = y[i] + h * K[0, i]
field(yn, p, K, 1)
d2 = 0.0
for i in range(N):
    sc = atol + abs(y[i]) * rtol
    d2 += ((K[1, i] - K[0, i]) / sc) ** 2
d2 = math.sqrt(d2 / N) / h
dmax = max(d1, d2)
if dmax <= 1e-15:
    h1 = max(h * 1e-3, 1e-6)
else:
    h1 = (0.01 / max(dmax, 1e-300)) ** (1 / 8)
h = min(min(100 * h, h1), tmax)
if not (math.isfinite(h) and h > 0):
    h = 1e-6
'''


# Step control for one trajectory (scipy's DOP853 rules, as _dop853._step_control), shared by
# the array and the wide form: (hh, e5, e3, y_norm, the last step rejected) -> accept, factor.
_STEP_CONTROL = '''\
# Step control (scipy's DOP853 rules, as _dop853._step_control).
denom = e5 + 0.01 * e3
if denom > 0:
    err_norm = abs(hh) * e5 / math.sqrt(denom * N)
else:
    err_norm = 0.0
finite = math.isfinite(err_norm) and math.isfinite(y_norm)
overshoot = y_norm > {OVERSHOOT!r} * bound
accept = finite and err_norm < 1.0 and not overshoot
if err_norm == 0.0:
    factor = {MAX_FACTOR!r}
else:
    factor = min({SAFETY!r} / math.sqrt(math.sqrt(math.sqrt(err_norm))), {MAX_FACTOR!r})
if accept:
    if {retried}:
        factor = min(factor, 1.0)
elif finite and not overshoot:
    factor = min(max(factor, {MIN_FACTOR!r}), 1.0)
else:
    factor = {MIN_FACTOR!r}
'''


def _step_control(retried: str) -> str:
    """_STEP_CONTROL with _dop853's constants; ``retried``: the expression for "the last step was
    rejected". err_norm ** (-1/8) is written 1 / sqrt(sqrt(sqrt(err_norm))), as in the lane
    form: a libm pow per step and lane was 6% of the wide form's time on A[5,4,3] (measured),
    and square roots are correctly rounded everywhere (the factor may differ from numpy's
    power by an ulp)."""
    from . import _dop853 as core
    _require_eighth_root("the step control")
    return _STEP_CONTROL.format(retried=retried, SAFETY=core._SAFETY, MIN_FACTOR=core._MIN_FACTOR,
                                MAX_FACTOR=core._MAX_FACTOR, OVERSHOOT=core._OVERSHOOT)


def _require_eighth_root(form: str) -> None:
    """Raise :class:`Unsupported` unless _dop853's step-size exponent is -1/8, which ``form``
    writes as 1 / sqrt(sqrt(sqrt(err_norm)))."""
    from . import _dop853 as core
    if core._EXPONENT != -1.0 / 8.0:
        raise Unsupported(f"{form} writes err_norm ** (-1/8) with square roots, the exponent is {core._EXPONENT}")


# The per-trajectory loop: a transcription of _integrate._work_loop and _dop853's _initial_step,
# _step_control and _event_codes for one column, operation for operation.
_KERNEL = '''
N = {N}
{tableau}


@njit(**_JIT)
def run(Y0, tmax_all, P, rtol, atol, conv_tol, bound, max_steps, lo, hi,
        code_out, t_out, y_out, steps_out, counters):
    K = np.empty(({NS} + 1, N))
    y = np.empty(N)
    yn = np.empty(N)
    attempts = 0
    for b in range(lo, hi):
        # One parameter row for the batch, or one per trajectory.
        p = P[b] if P.shape[0] > 1 else P[0]
{params}
{start_step_8}        t = 0.0
        steps = 0
        retry = False
        status = 0
        while status == 0:
            hh = min(h, tmax - t)
            # Stages 1..NS-1, then y_new = yn (row NS holds the weights B) and K[NS] = f(y_new).
{stages}
            e5 = 0.0
            e3 = 0.0
            st_num = 0.0
            st_den = 0.0
            for i in range(N):
                sc = max(abs(y[i]), abs(yn[i])) * rtol + atol
                a5 = ({e5_sum}) / sc
                a3 = ({e3_sum}) / sc
                e5 += a5 * a5
                e3 += a3 * a3
                # Stiffness estimate (as _dop853._damped_steps), before K[0] takes f(y_new).
                dl = {d_sum}
                dk = K[{NS}, i] - K[{NS} - 1, i]
                st_den += dl * dl
                st_num += dk * dk
            y_norm = amax_abs(yn)
{step_control}            h = hh * factor
            retry = not accept
            attempts += 1
            if accept:
                for i in range(N):
                    y[i] = yn[i]
                    K[0, i] = K[{NS}, i]
                t = t + hh
                steps += 1
            f_norm = amax_abs(K[0])
            # Events (as _dop853._event_codes).
            if accept:
                if y_norm > bound:
                    status = {DIVERGED}
                elif f_norm <= conv_tol * (1.0 + y_norm):
                    status = {CONVERGED}
                elif t >= tmax * (1 - 1e-15):
                    status = {TIME_LIMIT}
            if status == 0:
                if steps >= max_steps:
                    status = {STEP_LIMIT}
                elif h <= 1e-14 * max(t, 1.0):
                    status = {DIVERGED}
            # Damped steps near the stopping rule (as _dop853._damped_steps).
            if status == 0 and accept and steps % 2 == 0 and st_num >= {STIFF_SQ!r} * st_den:
                if f_norm <= {DAMP_ZONE!r} * (conv_tol * (1.0 + y_norm) + {STABILITY_REAL!r} * (rtol * y_norm + atol) / hh):
                    h = min(h, {DAMP_FACTOR!r} * hh)
        code_out[b] = status
        t_out[b] = t
        steps_out[b] = steps
        for i in range(N):
            y_out[b, i] = y[i]
    counters[0] += attempts

'''



_FIELD_NAMES = re.compile(r"^t\d+$")
_LANE_NAMES = re.compile(r"\b([ypt]\d+)\b")


def _lanes_source(system, st, lanes: int) -> str:
    """The kernel in lane form, for small systems: ``lanes`` trajectories side by side.

    The same method, operation for operation, as the array form (and so as the numpy path),
    each vector written out component by component, ``lanes`` trajectories at a time: lane l
    takes the chunk's next start whenever its own trajectory ends. A step of one small
    trajectory is a chain of dependent operations (each stage waits for the field value
    before it) and leaves the processor mostly idle; the lanes' stages, error sums and field
    evaluations are loops over the lanes on one buffer ``Z[row, lane]`` (rows: the accepted
    state, the 13 stage values, the step, the parameters, the error sums, y_new), which LLVM
    turns into SIMD instructions, one lane per vector element. Step control and events run
    per lane (scalar, with branches). Every lane does exactly what a one-lane kernel does, so
    results do not depend on the lanes, the chunking or the number of workers.

    Two rewrites that change rounding only: |v|_inf without branches (NaN when some v_i is not
    finite, where the array form gives NaN or inf: every test it feeds decides the same on
    both, as a non-finite y_new also makes err_norm NaN and NaN and inf both fail
    "f_norm <= ..."), and err_norm ** (-1/8) as 1 / sqrt(sqrt(sqrt(err_norm))) (a libm pow
    per step was a quarter of a step's time).

    Names in the field's statements (pasted unchanged inside the lane loops; with the suffix
    ``_l`` in the scalar code that starts lane l): ``y{i}`` the point at which the field is
    evaluated, ``p{j}`` the parameters, ``t0, t1, ...`` its temporaries (checked)."""
    from . import _dop853 as core

    n, n_par = st["n_state"], st["n_par"]
    for name, _ in st["temps"]:
        if not _FIELD_NAMES.match(name):
            raise Unsupported(f"unexpected temporary {name!r} in the generated field")
    _require_eighth_root("the lane form")
    ns = core._NS
    rows = [core._A[r, :r] for r in range(1, ns)] + [core._B]
    I = range(n)
    W = range(lanes)
    S = lambda i: i  # noqa: E731
    K = lambda r, i: n + r * n + i  # noqa: E731
    HH = n + (ns + 1) * n
    PR = lambda j: HH + 1 + j  # noqa: E731
    E5, E3, YN = HH + 1 + n_par, HH + 2 + n_par, HH + 3 + n_par
    NROW = YN + 1
    SNUM, SDEN = NROW + n, NROW + n + 1  # after the rows of y_new

    def field_scalar(dest_fmt, pad, l):
        ren = lambda code: _LANE_NAMES.sub(lambda m: f"{m.group(1)}_{l}", code)  # noqa: E731
        out = [f"{pad}{name}_{l} = {ren(code)}" for name, code in st["temps"]]
        return out + [f"{pad}{dest_fmt.format(i=i)} = {ren(code)}" for i, code in enumerate(st["outputs"])]

    def amax(names, target, pad):
        # max |v_i| without branches; NaN when some v_i is not finite (see the docstring).
        out = [f"{pad}{target} = {' + '.join(f'({v} - {v})' for v in names)}"]
        out += [f"{pad}{target} = max({target}, abs({v}))" for v in names]
        return out

    def comb(coefficients, i):
        terms = [f"{float(c)!r} * Z[{K(r, i)}, l]" for r, c in enumerate(coefficients) if c != 0.0]
        return " + ".join(terms) if terms else "0.0"

    def start(l, pad):
        q = pad + "    "
        out = [f"{pad}while not act_{l} and nxt < hi:", f"{q}b_{l} = nxt", f"{q}nxt += 1",
               f"{q}p = P[b_{l}] if P.shape[0] > 1 else P[0]"]
        out += [f"{q}p{j}_{l} = p[{j}]" for j in range(n_par)] + [f"{q}Z[{PR(j)}, {l}] = p{j}_{l}" for j in range(n_par)]
        out += [f"{q}s{i}_{l} = Y0[b_{l}, {i}]" for i in I] + [f"{q}y{i}_{l} = s{i}_{l}" for i in I]
        out += field_scalar("k0_{i}_" + str(l), q, l) + [f"{q}tmax_{l} = tmax_all[b_{l}]"]
        out += amax([f"k0_{i}_{l}" for i in I], "f_norm", q) + amax([f"s{i}_{l}" for i in I], "y_norm", q)
        for cond, code in (("y_norm > bound", core._DIVERGED),  # diverged before converged
                           ("f_norm <= conv_tol * (1.0 + y_norm)", core._CONVERGED)):
            out += [f"{q}if {cond}:", f"{q}    code_out[b_{l}] = {code}", f"{q}    t_out[b_{l}] = 0.0",
                    f"{q}    steps_out[b_{l}] = 0"]
            out += [f"{q}    y_out[b_{l}, {i}] = s{i}_{l}" for i in I]
            out += [f"{q}    continue"]
        out += [f"{q}d0 = 0.0", f"{q}d1 = 0.0"]
        for i in I:
            out += [f"{q}sc = atol + abs(s{i}_{l}) * rtol", f"{q}d0 += (s{i}_{l} / sc) ** 2",
                    f"{q}d1 += (k0_{i}_{l} / sc) ** 2"]
        out += [f"{q}d0 = math.sqrt(d0 / N)", f"{q}d1 = math.sqrt(d1 / N)",
                f"{q}if d0 < 1e-5 or d1 < 1e-5:", f"{q}    h = 1e-6", f"{q}else:",
                f"{q}    h = 0.01 * d0 / max(d1, 1e-300)", f"{q}h = min(h, tmax_{l})"]
        out += [f"{q}y{i}_{l} = s{i}_{l} + h * k0_{i}_{l}" for i in I]
        out += field_scalar("k1_{i}_" + str(l), q, l) + [f"{q}d2 = 0.0"]
        for i in I:
            out += [f"{q}sc = atol + abs(s{i}_{l}) * rtol", f"{q}d2 += ((k1_{i}_{l} - k0_{i}_{l}) / sc) ** 2"]
        out += [f"{q}d2 = math.sqrt(d2 / N) / h", f"{q}dmax = max(d1, d2)",
                f"{q}if dmax <= 1e-15:", f"{q}    h1 = max(h * 1e-3, 1e-6)", f"{q}else:",
                f"{q}    h1 = (0.01 / max(dmax, 1e-300)) ** (1 / 8)",
                f"{q}h = min(min(100 * h, h1), tmax_{l})",
                f"{q}if not (math.isfinite(h) and h > 0):", f"{q}    h = 1e-6",
                f"{q}h_{l} = h", f"{q}t_{l} = 0.0", f"{q}steps_{l} = 0", f"{q}retry_{l} = False",
                f"{q}act_{l} = True"]
        out += [f"{q}Z[{S(i)}, {l}] = s{i}_{l}" for i in I] + [f"{q}Z[{K(0, i)}, {l}] = k0_{i}_{l}" for i in I]
        return out

    def control(l, pad):
        q, r2 = pad + "    ", pad + "        "
        out = [f"{pad}if act_{l}:", f"{q}e5 = Z[{E5}, {l}]", f"{q}e3 = Z[{E3}, {l}]", f"{q}y_norm = Z[{YN}, {l}]",
               f"{q}hh = Z[{HH}, {l}]"]
        out += [f"{q}denom = e5 + 0.01 * e3",
                f"{q}if denom > 0:", f"{r2}err_norm = abs(hh) * e5 / math.sqrt(denom * N)",
                f"{q}else:", f"{r2}err_norm = 0.0",
                f"{q}finite = math.isfinite(err_norm) and math.isfinite(y_norm)",
                f"{q}overshoot = y_norm > {core._OVERSHOOT!r} * bound",
                f"{q}accept = finite and err_norm < 1.0 and not overshoot",
                f"{q}if err_norm == 0.0:", f"{r2}factor = {core._MAX_FACTOR!r}",
                f"{q}else:", f"{r2}factor = min({core._SAFETY!r} / math.sqrt(math.sqrt(math.sqrt(err_norm))), {core._MAX_FACTOR!r})",
                f"{q}if accept:", f"{r2}if retry_{l}:", f"{r2}    factor = min(factor, 1.0)",
                f"{q}elif finite and not overshoot:", f"{r2}factor = min(max(factor, {core._MIN_FACTOR!r}), 1.0)",
                f"{q}else:", f"{r2}factor = {core._MIN_FACTOR!r}",
                f"{q}h_{l} = hh * factor", f"{q}retry_{l} = not accept", f"{q}attempts += 1",
                f"{q}status = 0", f"{q}if accept:"]
        out += [f"{r2}Z[{S(i)}, {l}] = Z[{YN + 1 + i}, {l}]" for i in I] + [f"{r2}Z[{K(0, i)}, {l}] = Z[{K(ns, i)}, {l}]" for i in I]
        out += [f"{r2}t_{l} = t_{l} + hh", f"{r2}steps_{l} += 1"]
        out += amax([f"Z[{K(0, i)}, {l}]" for i in I], "f_norm", r2)
        out += [f"{r2}if y_norm > bound:", f"{r2}    status = {core._DIVERGED}",
                f"{r2}elif f_norm <= conv_tol * (1.0 + y_norm):", f"{r2}    status = {core._CONVERGED}",
                f"{r2}elif t_{l} >= tmax_{l} * (1 - 1e-15):", f"{r2}    status = {core._TIME_LIMIT}",
                f"{q}if status == 0:",
                f"{r2}if steps_{l} >= max_steps:", f"{r2}    status = {core._STEP_LIMIT}",
                f"{r2}elif h_{l} <= 1e-14 * max(t_{l}, 1.0):", f"{r2}    status = {core._DIVERGED}",
                f"{q}if status == 0 and accept and steps_{l} % 2 == 0 and "  # as _dop853._damped_steps
                f"Z[{SNUM}, {l}] >= {core._STIFF_SQ!r} * Z[{SDEN}, {l}]:",
                f"{r2}if f_norm <= {core._DAMP_ZONE!r} * (conv_tol * (1.0 + y_norm) + "
                f"{core._STABILITY_REAL!r} * (rtol * y_norm + atol) / hh):",
                f"{r2}    h_{l} = min(h_{l}, {core._DAMP_FACTOR!r} * hh)",
                f"{q}if status != 0:",
                f"{r2}code_out[b_{l}] = status", f"{r2}t_out[b_{l}] = t_{l}", f"{r2}steps_out[b_{l}] = steps_{l}"]
        out += [f"{r2}y_out[b_{l}, {i}] = Z[{S(i)}, {l}]" for i in I]
        out += [f"{r2}act_{l} = False"]
        return out

    P4, P8, P12 = " " * 4, " " * 8, " " * 12
    L = ["# Generated by linrbp.integration._numba_backend (lane form); do not edit (the file name is its key).",
         f"# System: layers {list(system.layers)}, rule {system.rule.name}; n_state {n}, {n_par} parameters; "
         f"{lanes} lanes.", "import math", "import numpy as np", "from numba import njit", "",
         f"FASTMATH = {FASTMATH!r}",
         "_JIT = dict(cache=True, nogil=True, error_model='numpy', fastmath=FASTMATH)",
         f"N = {n}", f"W = {lanes}", "", "",
         "@njit(**_JIT)",
         "def run(Y0, tmax_all, P, rtol, atol, conv_tol, bound, max_steps, lo, hi,",
         "        code_out, t_out, y_out, steps_out, counters):",
         "    attempts = 0", "    nxt = lo", f"    Z = np.zeros(({NROW + n + 2}, W))"]
    for l in W:
        L += [f"{P4}act_{l} = False", f"{P4}b_{l} = 0", f"{P4}steps_{l} = 0", f"{P4}retry_{l} = False"]
        L += [f"{P4}{v}_{l} = 0.0" for v in ("h", "t", "tmax")]
    L += [f"{P4}while True:"]
    for l in W:
        L += start(l, P8)
    L += [f"{P8}if not ({' or '.join(f'act_{l}' for l in W)}):", f"{P8}    break"]
    L += [f"{P8}Z[{HH}, {l}] = min(h_{l}, tmax_{l} - t_{l})" for l in W]
    for r, row in enumerate(rows, start=1):
        L += [f"{P8}for l in range(W):", f"{P12}hh = Z[{HH}, l]"]
        L += [f"{P12}p{j} = Z[{PR(j)}, l]" for j in range(n_par)]
        L += [f"{P12}y{i} = Z[{S(i)}, l] + hh * ({comb(row, i)})" for i in I]
        L += [f"{P12}{name} = {code}" for name, code in st["temps"]]
        L += [f"{P12}Z[{K(r, i)}, l] = {code}" for i, code in enumerate(st["outputs"])]
        if r == ns:
            L += [f"{P12}Z[{YN + 1 + i}, l] = y{i}" for i in I]
    L += [f"{P8}for l in range(W):", f"{P12}e5 = 0.0", f"{P12}e3 = 0.0", f"{P12}ym = 0.0", f"{P12}bad = 0.0",
          f"{P12}sn = 0.0", f"{P12}sd = 0.0"]
    for i in I:
        L += [f"{P12}yi = Z[{YN + 1 + i}, l]", f"{P12}sc = max(abs(Z[{S(i)}, l]), abs(yi)) * rtol + atol",
              f"{P12}a5 = ({comb(core._E5, i)}) / sc", f"{P12}a3 = ({comb(core._E3, i)}) / sc",
              f"{P12}e5 += a5 * a5", f"{P12}e3 += a3 * a3", f"{P12}bad += yi - yi", f"{P12}ym = max(ym, abs(yi))",
              # stiffness estimate (as _dop853._damped_steps)
              f"{P12}dl = {comb(core._D_LAST, i)}", f"{P12}dk = Z[{K(ns, i)}, l] - Z[{K(ns - 1, i)}, l]",
              f"{P12}sd += dl * dl", f"{P12}sn += dk * dk"]
    L += [f"{P12}Z[{E5}, l] = e5", f"{P12}Z[{E3}, l] = e3", f"{P12}Z[{YN}, l] = ym + bad",
          f"{P12}Z[{SNUM}, l] = sn", f"{P12}Z[{SDEN}, l] = sd"]
    for l in W:
        L += control(l, P8)
    L += ["    counters[0] += attempts", ""]
    return "\n".join(L) + "\n"


_LOCK = threading.Lock()
_MODULES: dict = {}


def _write_atomic(path: Path, text: str) -> None:
    """Write ``path`` whole, unless another process wrote it meanwhile: then its file stays.
    (Two processes that generate one kernel at once write the same text; replacing the first
    file would change its mtime, which numba's cache index records, so the machine code the
    first process saved would be found stale and compiled again.)"""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(text)
    try:
        os.link(tmp, path)  # fails when path exists: the first writer wins
    except FileExistsError:
        pass
    except OSError:  # a file system without hard links
        os.replace(tmp, path)
        return
    tmp.unlink()


def kernel_for(system):
    """(module, path, fresh): the compiled kernel for ``system``: the vector form
    (:mod:`._vector_form`) where its field's statements allow it, else a numba module from the
    disk cache when it is there (``fresh`` says whether the source file, the vector form's
    loop or the system's numba module, was generated by this call)."""
    key = _key(system)
    with _LOCK:
        if key in _MODULES:
            return _MODULES[key] + (False,)
        if VECTOR:
            vector = _vector_kernel(system, key)
            if vector is not None:
                _MODULES[key] = vector[:2]
                return vector
        directory = cache_dir()
        path = directory / f"linrbp_kernel_{key}.py"
        fresh = False
        if not path.exists():
            source = generate_source(system)
            directory.mkdir(parents=True, exist_ok=True)
            _write_atomic(path, source)
            fresh = True
        module = _load(f"_linrbp_kernel_{key}", path)
        _MODULES[key] = (module, path)
        return module, path, fresh


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


class _VectorKernel:
    """The vector form for one system: the shared loop (``dispatcher``) and the addresses of
    the system's compiled step (``F``); ``run`` takes the array forms' arguments."""

    def __init__(self, dispatcher, F, n, n_par):
        from ._vector_form import W
        self.dispatcher, self.F, self.W = dispatcher, F, W
        self.n, self.n_par = n, max(n_par, 1)

    def run(self, Y0, tmax, P, *rest):
        if Y0.shape[1] != self.n or P.shape[1] != self.n_par:
            raise ValueError(f"vector form: expected {self.n} states and {self.n_par} parameters, "
                             f"got {Y0.shape[1]} and {P.shape[1]}")
        self.dispatcher(Y0, tmax, P, *rest, self.F)


def _vector_kernel(system, key):
    """(kernel, path of the loop's module, fresh) in the vector form, or None where the field's
    statements are not sums, differences, products and quotients (then the numba forms run)."""
    from . import _vector_form as vf
    fn = system._compiled_field()
    if fn is None or not hasattr(fn, "statements"):
        raise Unsupported(f"no generated field for this system (n_state {system.n_state} > "
                          f"{type(system).__module__}.COMPILE_MAX_STATE)")
    st = fn.statements
    if any(not _FIELD_NAMES.match(name) for name, _ in st["temps"]):
        return None
    try:
        text = vf.step_ir(st, f"linrbp_step_{key}")
    except (vf._NotVectorisable, SyntaxError):
        return None
    F = vf.compile_ir(text)
    if "driver" not in _MODULES:
        from . import _dop853 as core
        start = _START_STEP.format(CONVERGED=core._CONVERGED, DIVERGED=core._DIVERGED)
        source = vf.driver_source(start.replace("field(y, p, K, 0)", "lane_field(F, Z, l, y, K, 0, N, YN, FOUT)")
                                  .replace("field(yn, p, K, 1)", "lane_field(F, Z, l, yn, K, 1, N, YN, FOUT)"),
                                  FASTMATH)
        here = Path(__file__).resolve().parent
        dkey = vf.driver_key(source + (here / "_vector_form.py").read_text() + str(_TEMPLATE_VERSION))
        directory = cache_dir()
        path = directory / f"linrbp_kernel_vector_{dkey}.py"
        fresh = False
        if not path.exists():
            directory.mkdir(parents=True, exist_ok=True)
            _write_atomic(path, source)
            fresh = True
        _MODULES["driver"] = (_load(f"_linrbp_kernel_vector_{dkey}", path), path, fresh)
        first = True
    else:
        first = False
    driver, path, fresh = _MODULES["driver"]
    return _VectorKernel(driver.run, F, st["n_state"], st["n_par"]), path, fresh and first


def _chunk(B: int, workers: int, lanes: int = 1) -> int:
    """Starts per call of the kernel: small enough for progress and for balancing the threads
    (at least one chunk per worker), large enough that the Python call around each is noise
    and that a chunk's last trajectories, which run with idle lanes beside them, are a small
    part of it (at least 32 starts per lane: with the old floor of 64 starts, A[5,4,3]'s 200
    starts ran as 4 chunks on 16 lanes, measured 15,700 trajectories per CPU-second against
    18,800-19,100 in one chunk)."""
    per_worker = -(-B // workers)
    return int(max(1, min(max(B // (8 * workers), 32 * lanes, 64), per_worker, 8192)))


def run_numba(system, Y0, t_max, rtol, atol, conv_tol, bound, max_steps, progress, workers,
              params=None):
    """(code, t_end, y, steps, info) for starts ``Y0`` (B, n); raises :class:`Unsupported`.

    ``params`` (B, n_par), optional: each start's own field parameters (S_II, S_TI, fixed
    feedback, row-major, as ``system._field_parameters()``), for heterogeneous batches: one
    kernel, the system's shapes and rule, a different system per start.
    """
    if not numba_available():
        raise Unsupported("numba is not installed (pip install 'linrbp[jit]')")
    if not hasattr(system, "_compiled_field") or not hasattr(system, "_field_parameters"):
        raise Unsupported("the field is a plain callable, not a LinearSystem with a generated field")
    if system.n_state > _compile_max_state():
        raise Unsupported(f"n_state {system.n_state} is above the generated field's limit "
                          f"({_compile_max_state()})")
    try:
        module, path, fresh = kernel_for(system)
    except Unsupported:
        raise
    except Exception as exc:  # a numba or code-generation failure: say it, run numpy
        raise Unsupported(f"the kernel did not compile ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})") from exc
    B, n = Y0.shape
    Y0 = np.ascontiguousarray(Y0, dtype=np.float64)
    tmax = np.ascontiguousarray(t_max, dtype=np.float64)
    if params is None:
        p = np.asarray(system._field_parameters(), dtype=np.float64)[None]
    else:
        p = np.ascontiguousarray(params, dtype=np.float64)
        if p.shape != (B, len(system._field_parameters())):
            raise ValueError(f"params: expected shape {(B, len(system._field_parameters()))}, got {p.shape}")
    if p.shape[1] == 0:
        p = np.zeros((p.shape[0], 1))
    code = np.zeros(B, dtype=np.int8)
    t_end = np.zeros(B)
    y = Y0.copy()
    steps = np.zeros(B, dtype=np.int64)
    args = (p, float(rtol), float(atol), float(conv_tol), float(bound), int(max_steps))
    # Compile (or load) before threads start, so they share one machine-code version.
    if fresh:  # a source file generated here: its machine code is compiled now (seconds)
        what = ("the compiled integrator's loop (once for every system)" if isinstance(module, _VectorKernel)
                else f"the compiled integrator for layers {list(system.layers)}, rule {system.rule.name}")
        print(f"linrbp: numba is compiling {what}; kept in {cache_dir()}", file=sys.stderr, flush=True)
    counters0 = np.zeros(1, dtype=np.int64)
    try:
        module.run(Y0, tmax, *args, 0, 0, code, t_end, y, steps, counters0)
    except Exception as exc:
        raise Unsupported(f"the kernel did not compile ({type(exc).__name__}: "
                          f"{(str(exc).splitlines() or [''])[0]})") from exc
    workers = int(max(1, min(workers, B)))
    size = _chunk(B, workers, getattr(module, "W", 1))
    state = {"next": 0, "done": 0, "failed": False}
    lock = threading.Lock()
    attempts = np.zeros(workers, dtype=np.int64)

    def work(w):
        counters = np.zeros(1, dtype=np.int64)
        try:
            while True:
                with lock:
                    if state["failed"]:
                        return
                    lo = state["next"]
                    hi = state["next"] = min(B, lo + size)
                if lo >= hi:
                    return
                module.run(Y0, tmax, *args, lo, hi, code, t_end, y, steps, counters)
                with lock:
                    state["done"] += hi - lo
                    if progress is not None:
                        progress(state["done"], B)
        except BaseException:
            state["failed"] = True
            raise
        finally:
            attempts[w] = counters[0]

    if workers == 1:
        work(0)
    else:
        with ThreadPoolExecutor(workers) as pool:
            futures = [pool.submit(work, w) for w in range(workers)]
            try:
                for fut in futures:
                    fut.result()
            except BaseException:
                state["failed"] = True
                raise
    stats = getattr(getattr(module, "dispatcher", module.run), "stats", None)
    info = {"backend": "numba", "workers": workers, "kernel": str(path),
            "kernel_generated": fresh, "step_attempts": int(attempts.sum()),
            "jit_cache_hits": int(sum(stats.cache_hits.values())) if stats is not None else None,
            "jit_cache_misses": int(sum(stats.cache_misses.values())) if stats is not None else None}
    return code, t_end, y, steps, info


def _compile_max_state() -> int:
    from ..core._field import COMPILE_MAX_STATE
    return COMPILE_MAX_STATE


def numba_or_fallback(fun, Y0, t_max, rtol, atol, conv_tol, bound, max_steps, progress, workers):
    """(run_numba's result, None), or (None, reason) after saying on stderr that the numpy path
    runs instead."""
    from ..core._errors import InputError
    if workers is None:
        workers = os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise InputError(f"workers: must be a positive integer, got {workers!r}")
    try:
        return run_numba(fun, Y0, t_max, rtol, atol, conv_tol, bound, max_steps, progress, int(workers)), None
    except Unsupported as exc:
        reason = str(exc)
    print(f"linrbp: backend='numba' falls back to 'numpy': {reason}", file=sys.stderr, flush=True)
    return None, reason
