"""Optional compiled backend of :func:`linrbp.integrate_batch` (``backend="numba"``).

The same method as the numpy path, per trajectory in compiled code: scipy's DOP853
tableau (read from :mod:`linrbp.integration._dop853`, which reads it from scipy), the same
starting step, error norm, step control and event tests (in the same order, so the statuses
agree and the states agree to rounding), and :class:`~linrbp.LinearSystem`'s generated field,
the straight-line statements that :func:`linrbp.core._field._compile_field` derives from the
rule. Two forms:

* the vector form (:mod:`._vector_form`), for every field whose statements are sums,
  differences, products, quotients and integer powers: ``W`` trajectories side by side, the
  system's step written as LLVM vector code and compiled by llvmlite in milliseconds to about
  a second, around it one generic loop compiled by numba once per machine;
* the array form (``_KERNEL``, one trajectory at a time, all of it numba code generated per
  system), for other fields (``np.sign`` in the piecewise rules), and the reference the vector
  form is tested against (bit for bit).

Generated modules are written under the cache directory (``$LINRBP_CACHE_DIR``, else
``$XDG_CACHE_HOME/linrbp``, else ``~/.cache/linrbp``), named by a hash of what they are
generated from, and compiled by numba with ``cache=True``, so a second process loads machine
code instead of compiling again; a line on stderr says when numba compiles one. numba is
optional (``pip install 'linrbp[jit]'``); without it, or for a field it cannot compile (a plain
callable, a system too large for a generated field), :func:`integrate_batch` says so in one
line on stderr and runs the numpy path.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

__all__ = ["numba_available", "cache_dir", "kernel_for", "run_numba", "numba_or_fallback", "Unsupported",
           "unsupported_reason"]

# The array form's stage sums are unrolled up to this many states (loops beyond).
UNROLL_MAX_STATE = 32
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
    files += [here / f for f in ("_dop853.py", "_integrate.py", "_batch_loop.py", "_numba_backend.py")]
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


def generate_source(system, unroll: bool | None = None, inline: bool = False) -> str:
    """The array form's module source for ``system``: one trajectory at a time, the reference
    the vector form is tested against, and the kernel for fields the vector form cannot write
    (``np.sign`` in the piecewise rules)."""
    from . import _dop853 as core

    st = _statements(system)
    n, n_par = st["n_state"], st["n_par"]
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


_STAGE_LOOP = """\
            for s in range(1, {NS} + 1):
                for i in range(N):
                    acc = 0.0
                    for q in range(ROW[s], ROW[s + 1]):
                        acc += COEF[q] * K[COL[q], i]
                    yn[i] = y[i] + hh * acc"""

# |v|_inf for the array form (and the vector form's loop, which defines its own).
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


# A trajectory's start, shared by the array and the vector form: start b into y, converged at once
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
# the array form: (hh, e5, e3, y_norm, the last step rejected) -> accept, factor.
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
    form: a libm pow per step and lane was 6% of the (former) wide form's time on A[5,4,3],
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
    the system's compiled step (``F``, compiled for ``W`` trajectories side by side, default
    ``_vector_form.lanes(n)``); ``run`` takes the array forms' arguments."""

    def __init__(self, dispatcher, F, n, n_par, W=None):
        from ._vector_form import lanes
        self.dispatcher, self.F, self.W = dispatcher, F, lanes(n) if W is None else W
        self.n, self.n_par = n, max(n_par, 1)

    def run(self, Y0, tmax, P, *rest):
        if Y0.shape[1] != self.n or P.shape[1] != self.n_par:
            raise ValueError(f"vector form: expected {self.n} states and {self.n_par} parameters, "
                             f"got {Y0.shape[1]} and {P.shape[1]}")
        self.dispatcher(Y0, tmax, P, *rest, self.F, self.W)


def _vector_kernel(system, key):
    """(kernel, path of the loop's module, fresh) in the vector form, or None where the field's
    statements are not sums, differences, products and quotients (then the numba forms run)."""
    from . import _vector_form as vf
    st = _statements(system)
    try:
        text = vf.step_ir(st, f"linrbp_step_{key}")
    except (vf._NotVectorisable, SyntaxError):
        return None
    F = vf.compile_ir(text)
    if "driver" not in _MODULES:
        from . import _dop853 as core
        start = _START_STEP.format(CONVERGED=core._CONVERGED, DIVERGED=core._DIVERGED)
        source = vf.driver_source(start.replace("field(y, p, K, 0)", "lane_field(F, Z, W, l, y, K, 0, N, YN, FOUT)")
                                  .replace("field(yn, p, K, 1)", "lane_field(F, Z, W, l, yn, K, 1, N, YN, FOUT)"),
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
    _statements(system)  # Unsupported (one line) when the kernels cannot run this field
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


def _statements(system) -> dict:
    """The generated field's statements of ``system``; :class:`Unsupported` when it has none."""
    why = unsupported_reason(system)
    if why is not None:
        raise Unsupported(why)
    return system._compiled_field().statements


def unsupported_reason(system) -> str | None:
    """Why the compiled kernels cannot run ``system``'s field (one line), or None when they can:
    a plain callable, a system above the generated field's size limit, or one without generated
    statements. (numba itself being installed is :func:`numba_available`.)"""
    if not hasattr(system, "_compiled_field") or not hasattr(system, "_field_parameters"):
        return "the field is a plain callable, not a LinearSystem with a generated field"
    if system.n_state > _compile_max_state():
        return f"n_state {system.n_state} is above the generated field's limit ({_compile_max_state()})"
    fn = system._compiled_field()
    if fn is None or not hasattr(fn, "statements"):
        return "this system has no generated field"
    return None


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
