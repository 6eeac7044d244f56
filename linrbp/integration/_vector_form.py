"""The vector form of the compiled integrator: one generic loop, compiled once, and a small
per-system step written directly as LLVM vector code.

Compiling a system's whole kernel with numba took 4-30 CPU-seconds on a fresh cache (most of
it numba's own typing and lowering of thousands of generated statements). Here the work is
split where the system ends:

* the step (the 12 stages with the field inside each, the error sums, |y_new|_inf and
  |f(y_new)|_inf, the stiffness sums, the accept blend) depends on the system and is emitted
  as LLVM IR on ``W``-wide vectors of doubles, one trajectory per vector element
  (:func:`step_ir`), from the same statements and in the same operation order as the wide
  form's numba code, and compiled by llvmlite in milliseconds;
* the loop around it (starting steps, step control, events, refilling lanes) depends only on
  the method and is numba code (:data:`DRIVER`) compiled once per machine and cached on disk;
  it calls the step through function addresses given at run time (:func:`call_ptr`).

Every trajectory does the array form's operations (the same expressions per component, the
same step control and event tests), so the statuses, step counts, stopping times and states
equal the array form's bit for bit (tested).
"""

from __future__ import annotations

import ast
import hashlib
import threading

FLAGS = ()  # LLVM fast-math flags on every operation (("contract",): fused multiply-adds)
W = 8  # trajectories side by side: one AVX-512 register of doubles (two AVX2 ones)


def _require_eighth_root():
    from . import _dop853 as core
    if core._EXPONENT != -1.0 / 8.0:
        raise _NotVectorisable(f"the step control writes err_norm ** (-1/8) with square roots, "
                               f"the exponent is {core._EXPONENT}")


class _NotVectorisable(Exception):
    """A field statement the vector form cannot write (the caller falls back to numba forms)."""


def layout(n: int, n_par: int, ns: int) -> dict:
    """Row indices of the buffer ``Z`` (row r, lane l at ``Z[r * W + l]``)."""
    NP = max(n_par, 1)
    rows = {"K": 0, "YS": (ns + 1) * n, "YN": (ns + 2) * n, "PR": (ns + 3) * n}
    rows["FOUT"] = rows["PR"] + NP
    rows["HH"] = rows["FOUT"] + n
    for k, name in enumerate(("E5", "E3", "YNORM", "FNORM", "ACC", "SNUM", "SDEN", "RT", "AT", "BOUND",
                               "ACT", "RETRY", "HNEW"), start=1):
        rows[name] = rows["HH"] + k
    rows["ROWS"] = rows["HNEW"] + 1
    return rows


def step_ir(st: dict, name: str) -> str:
    """LLVM IR (text) of four functions ``void f(double* Z)`` for the field's statements ``st``
    (``LinearSystem._compiled_field().statements``): ``field`` (rows YN -> FOUT), ``step``,
    ``stiff`` and ``commit`` (see the module docstring). Raises :class:`_NotVectorisable` for a
    statement other than sums, differences, products and quotients of names and numbers."""
    from llvmlite import ir

    from . import _dop853 as core

    n, n_par, ns = st["n_state"], st["n_par"], core._NS
    R = layout(n, n_par, ns)
    dbl, i64 = ir.DoubleType(), ir.IntType(64)
    vec = ir.VectorType(dbl, W)
    mod = ir.Module(name=name)
    fabs = ir.Function(mod, ir.FunctionType(vec, [vec]), f"llvm.fabs.v{W}f64")
    vsqrt = ir.Function(mod, ir.FunctionType(vec, [vec]), f"llvm.sqrt.v{W}f64")
    FM = FLAGS
    parsed = [(t, ast.parse(code, mode="eval").body) for t, code in st["temps"]]
    outputs = [ast.parse(code, mode="eval").body for code in st["outputs"]]

    def const(x):
        return ir.Constant(vec, [ir.Constant(dbl, float(x))] * W)

    def function(fname):
        fn = ir.Function(mod, ir.FunctionType(ir.VoidType(), [dbl.as_pointer()]), fname)
        fn.args[0].add_attribute("noalias")
        b = ir.IRBuilder(fn.append_basic_block())
        z = fn.args[0]

        def ptr(row):
            return b.bitcast(b.gep(z, [ir.Constant(i64, row * W)]), vec.as_pointer())

        def load(row):
            return b.load(ptr(row), align=8)

        def store(row, v):
            b.store(v, ptr(row), align=8)
        return fn, b, load, store

    def expr(b, node, env):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            e = node.right
            if not (isinstance(e, ast.Constant) and type(e.value) is int and 0 <= e.value <= 64):
                raise _NotVectorisable("a power other than a small non-negative integer")
            # numba's float ** integer constant (static_power_impl): the same multiplications
            val, res, k = expr(b, node.left, env), const(1.0), e.value
            while k:
                if k & 1:
                    res = b.fmul(res, val, flags=FM)
                k >>= 1
                val = b.fmul(val, val, flags=FM)
            return res
        if isinstance(node, ast.BinOp):
            left, right = expr(b, node.left, env), expr(b, node.right, env)
            op = {ast.Add: b.fadd, ast.Sub: b.fsub, ast.Mult: b.fmul, ast.Div: b.fdiv}.get(type(node.op))
            if op is None:
                raise _NotVectorisable(f"operator {type(node.op).__name__}")
            return op(left, right, flags=FM)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return b.fneg(expr(b, node.operand, env), flags=FM)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd):
            return expr(b, node.operand, env)
        if isinstance(node, ast.Name) and node.id in env:
            return env[node.id]
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
                and not isinstance(node.value, bool):
            return const(node.value)
        raise _NotVectorisable(f"expression {ast.dump(node)[:60]}")

    def field(b, ys, ps):
        env = {f"y{i}": v for i, v in enumerate(ys)}
        env.update({f"p{j}": v for j, v in enumerate(ps)})
        for target, node in parsed:
            env[target] = expr(b, node, env)
        return [expr(b, node, env) for node in outputs]

    def comb(b, coefficients, values):
        """sum_s c_s values[s] over the nonzero c_s, left to right (the wide form's order)."""
        acc = None
        for c, v in zip(coefficients, values):
            if c == 0.0:
                continue
            term = b.fmul(const(c), v, flags=FM)
            acc = term if acc is None else b.fadd(acc, term, flags=FM)
        return const(0.0) if acc is None else acc

    def vmax_nan(b, a, m):
        """a if (a > m or a != a) else m: |v|_inf's update, NaN if any component is NaN."""
        take = b.or_(b.fcmp_ordered(">", a, m), b.fcmp_unordered("!=", a, a))
        return b.select(take, a, m)

    # field: rows YN -> rows FOUT (the starting step's evaluations).
    fn, b, load, store = function("field")
    for i, v in enumerate(field(b, [load(R["YN"] + i) for i in range(n)], [load(R["PR"] + j) for j in range(n_par)])):
        store(R["FOUT"] + i, v)
    b.ret_void()

    # step: stages 1..NS, y_new, f(y_new), the error sums and both norms.
    fn, b, load, store = function("step")
    hh = load(R["HH"])
    ys = [load(R["YS"] + i) for i in range(n)]
    ps = [load(R["PR"] + j) for j in range(n_par)]
    K = [[load(R["K"] + i) for i in range(n)]]
    rows = [core._A[r, :r] for r in range(1, ns)] + [core._B]
    for r, row in enumerate(rows, start=1):
        y = [b.fadd(ys[i], b.fmul(hh, comb(b, row, [K[s][i] for s in range(len(row))]), flags=FM), flags=FM)
             for i in range(n)]
        K.append(field(b, y, ps))
        for i in range(n):
            store(R["K"] + r * n + i, K[r][i])
    rtol, atol = load(R["RT"]), load(R["AT"])
    e5 = e3 = const(0.0)
    ynorm = fnorm = const(0.0)
    for i in range(n):
        store(R["YN"] + i, y[i])
        a, c = b.call(fabs, [ys[i]]), b.call(fabs, [y[i]])
        sc = b.fadd(b.fmul(b.select(b.fcmp_ordered(">", c, a), c, a), rtol, flags=FM), atol, flags=FM)
        a5 = b.fdiv(comb(b, core._E5, [K[s][i] for s in range(ns + 1)]), sc, flags=FM)
        a3 = b.fdiv(comb(b, core._E3, [K[s][i] for s in range(ns + 1)]), sc, flags=FM)
        e5 = b.fadd(e5, b.fmul(a5, a5, flags=FM), flags=FM)
        e3 = b.fadd(e3, b.fmul(a3, a3, flags=FM), flags=FM)
    for i in range(n):  # separate loops, as the wide form's (the same values either way)
        ynorm = vmax_nan(b, b.call(fabs, [y[i]]), ynorm)
    for i in range(n):
        fnorm = vmax_nan(b, b.call(fabs, [K[ns][i]]), fnorm)
    for row, v in (("E5", e5), ("E3", e3), ("YNORM", ynorm), ("FNORM", fnorm)):
        store(R[row], v)
    # Step control (scipy's DOP853 rules, as _dop853._step_control and the array form's
    # _STEP_CONTROL, every lane at once: its branches as selects, the same operations).
    _require_eighth_root()

    def vmin(a, c):  # numba's min(a, c)
        return b.select(b.fcmp_ordered("<", c, a), c, a)

    def vmax(a, c):  # numba's max(a, c)
        return b.select(b.fcmp_ordered(">", c, a), c, a)

    def finite(v):
        return b.fcmp_ordered("!=", b.call(fabs, [v]), const(float("inf")))
    denom = b.fadd(e5, b.fmul(const(0.01), e3, flags=FM), flags=FM)
    ratio = b.fdiv(b.fmul(b.call(fabs, [hh]), e5, flags=FM),
                   b.call(vsqrt, [b.fmul(denom, const(n), flags=FM)]), flags=FM)
    err = b.select(b.fcmp_ordered(">", denom, const(0.0)), ratio, const(0.0))
    fin = b.and_(finite(err), finite(ynorm))
    overshoot = b.fcmp_ordered(">", ynorm, b.fmul(const(core._OVERSHOOT), load(R["BOUND"]), flags=FM))
    ok = b.and_(fin, b.not_(overshoot))
    accept = b.and_(ok, b.fcmp_ordered("<", err, const(1.0)))
    root = b.call(vsqrt, [b.call(vsqrt, [b.call(vsqrt, [err])])])
    factor = b.select(b.fcmp_ordered("==", err, const(0.0)), const(core._MAX_FACTOR),
                      vmin(b.fdiv(const(core._SAFETY), root, flags=FM), const(core._MAX_FACTOR)))
    retried = b.fcmp_unordered("!=", load(R["RETRY"]), const(0.0))
    factor = b.select(accept, b.select(retried, vmin(factor, const(1.0)), factor),
                      b.select(ok, vmin(vmax(factor, const(core._MIN_FACTOR)), const(1.0)),
                               const(core._MIN_FACTOR)))
    active = b.fcmp_unordered("!=", load(R["ACT"]), const(0.0))
    store(R["ACC"], b.select(b.and_(accept, active), const(1.0), const(0.0)))
    store(R["RETRY"], b.select(accept, const(0.0), const(1.0)))
    store(R["HNEW"], b.fmul(hh, factor, flags=FM))
    b.ret_void()

    # stiff: the stiffness estimate's sums (as _dop853._damped_steps), from the stored stages.
    fn, b, load, store = function("stiff")
    snum = sden = const(0.0)
    for i in range(n):
        ks = [load(R["K"] + s * n + i) for s in range(len(core._D_LAST))]
        dl = comb(b, core._D_LAST, ks)
        dk = b.fsub(load(R["K"] + ns * n + i), load(R["K"] + (ns - 1) * n + i), flags=FM)
        sden = b.fadd(sden, b.fmul(dl, dl, flags=FM), flags=FM)
        snum = b.fadd(snum, b.fmul(dk, dk, flags=FM), flags=FM)
    store(R["SNUM"], snum)
    store(R["SDEN"], sden)
    b.ret_void()

    # commit: accepted lanes (row ACC nonzero) take y_new and f(y_new).
    fn, b, load, store = function("commit")
    acc = b.fcmp_unordered("!=", load(R["ACC"]), const(0.0))
    for i in range(n):
        store(R["YS"] + i, b.select(acc, load(R["YN"] + i), load(R["YS"] + i)))
        store(R["K"] + i, b.select(acc, load(R["K"] + ns * n + i), load(R["K"] + i)))
    b.ret_void()
    return str(mod)


_ENGINES: list = []  # compiled modules stay alive (their code is called by address)
_LLVM_LOCK = threading.Lock()


def compile_ir(text: str) -> "np.ndarray":
    """Addresses (int64[4]: field, step, stiff, commit) of ``text`` compiled for this CPU."""
    import llvmlite.binding as llvm
    import numpy as np
    with _LLVM_LOCK:
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        triple = llvm.get_process_triple()
        tm = llvm.Target.from_triple(triple).create_target_machine(
            cpu=llvm.get_host_cpu_name(), features=llvm.get_host_cpu_features().flatten(), opt=3)
        mod = llvm.parse_assembly(text)
        mod.triple = triple
        mod.data_layout = str(tm.target_data)
        mod.verify()
        pto = llvm.create_pipeline_tuning_options(speed_level=2)
        pb = llvm.create_pass_builder(tm, pto)
        pb.getModulePassManager().run(mod, pb)
        engine = llvm.create_mcjit_compiler(mod, tm)
        engine.finalize_object()
        _ENGINES.append(engine)
        return np.array([engine.get_function_address(f) for f in ("field", "step", "stiff", "commit")],
                        dtype=np.int64)


def call_ptr(addr, Z):  # replaced below by the numba intrinsic when numba is present
    raise RuntimeError("numba is not installed")


try:
    from numba import types as _types
    from numba.extending import intrinsic as _intrinsic

    @_intrinsic
    def call_ptr(typingctx, addr, Z):  # noqa: F811
        """Call ``void f(double*)`` at address ``addr`` on the data of the 1-d array ``Z``."""
        sig = _types.void(_types.int64, Z)

        def codegen(context, builder, signature, args):
            from llvmlite import ir
            data = context.make_array(signature.args[1])(context, builder, args[1]).data
            fnty = ir.FunctionType(ir.VoidType(), [data.type])
            builder.call(builder.inttoptr(args[0], fnty.as_pointer()), [data])
            return context.get_dummy_value()
        return sig, codegen
except ImportError:  # pragma: no cover - numba is optional
    pass


def driver_source(start_step: str, fastmath) -> str:
    """The generic loop's module source (``DRIVER`` with _dop853's constants)."""
    import textwrap

    from . import _dop853 as core
    return DRIVER.format(
        W=W, NS=core._NS, FASTMATH=fastmath,
        start_step_16=textwrap.indent(start_step, " " * 16),
        CONVERGED=core._CONVERGED, DIVERGED=core._DIVERGED, TIME_LIMIT=core._TIME_LIMIT,
        STEP_LIMIT=core._STEP_LIMIT, DAMP_ZONE=core._DAMP_ZONE, STABILITY_REAL=core._STABILITY_REAL,
        DAMP_FACTOR=core._DAMP_FACTOR, STIFF_SQ=core._STIFF_SQ)


def driver_key(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()[:24]


# The loop around the step, for any system: W trajectories side by side in the flat buffer Z
# (rows as layout()), the step's work in the functions at addresses F (field, step, stiff,
# commit), step control and events per lane, as the wide form's.
DRIVER = '''# Generated by linrbp.integration._vector_form (the vector form's loop); do not edit.
import math
import numpy as np
from numba import njit
from linrbp.integration._vector_form import call_ptr

_JIT = dict(cache=True, nogil=True, error_model='numpy', fastmath={FASTMATH!r})
W = {W}
NS = {NS}


@njit(**_JIT)
def amax_abs(v):
    # max |v_i|, NaN if any is NaN (as numpy's max).
    m = 0.0
    for i in range(v.shape[0]):
        a = abs(v[i])
        if a > m or a != a:
            m = a
    return m


@njit(**_JIT)
def lane_field(F, Z, l, y, K, row, N, YN, FOUT):
    # f(y) into K[row] for lane l (the other lanes compute on whatever they hold).
    for i in range(N):
        Z[(YN + i) * W + l] = y[i]
    call_ptr(F[0], Z)
    for i in range(N):
        K[row, i] = Z[(FOUT + i) * W + l]


@njit(**_JIT)
def run(Y0, tmax_all, P, rtol, atol, conv_tol, bound, max_steps, lo, hi,
        code_out, t_out, y_out, steps_out, counters, F):
    N = Y0.shape[1]
    NP = P.shape[1]
    YS = (NS + 1) * N
    YN = YS + N
    PR = YN + N
    FOUT = PR + NP
    HH = FOUT + N
    E5 = HH + 1
    E3 = HH + 2
    YNORM = HH + 3
    FNORM = HH + 4
    ACC = HH + 5
    SNUM = HH + 6
    SDEN = HH + 7
    RT = HH + 8
    AT = HH + 9
    BOUND = HH + 10
    ACT = HH + 11
    RETRY = HH + 12
    HNEW = HH + 13
    Z = np.zeros((HNEW + 1) * W)
    for l in range(W):
        Z[RT * W + l] = rtol
        Z[AT * W + l] = atol
        Z[BOUND * W + l] = bound
    hs = np.ones(W)
    t = np.zeros(W)
    tlim = np.ones(W)
    steps = np.zeros(W, dtype=np.int64)
    bidx = np.zeros(W, dtype=np.int64)
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
                for j in range(NP):
                    Z[(PR + j) * W + l] = p[j]
{start_step_16}                for i in range(N):
                    Z[(YS + i) * W + l] = y[i]
                    Z[i * W + l] = K[0, i]
                hs[l] = h
                t[l] = 0.0
                tlim[l] = tmax
                steps[l] = 0
                Z[RETRY * W + l] = 0.0
                Z[ACT * W + l] = 1.0
                act[l] = True
                bidx[l] = b
        if not act.any():
            break
        for l in range(W):
            Z[HH * W + l] = min(hs[l], tlim[l] - t[l])
        call_ptr(F[1], Z)  # the step and its control: rows YN, K[NS], norms, ACC, HNEW, RETRY
        for l in range(W):
            if not act[l]:
                continue
            attempts += 1
            if Z[ACC * W + l] != 0.0:
                t[l] = t[l] + Z[HH * W + l]
                steps[l] += 1
        # Stiffness estimate (as _dop853._damped_steps), before K[0] takes f(y_new): only in
        # steps where some lane may be damped (accepted, even step count, |f| in the zone).
        candidate = False
        for l in range(W):  # as _dop853._damp_candidates
            cand[l] = False
            if act[l] and Z[ACC * W + l] != 0.0 and steps[l] % 2 == 0:
                y_norm = Z[YNORM * W + l]
                if Z[FNORM * W + l] <= {DAMP_ZONE!r} * (conv_tol * (1.0 + y_norm) + {STABILITY_REAL!r} * (rtol * y_norm + atol) / Z[HH * W + l]):
                    cand[l] = True
                    candidate = True
        if candidate:
            call_ptr(F[2], Z)
        call_ptr(F[3], Z)  # accepted lanes take y_new and f(y_new)
        for l in range(W):
            if not act[l]:
                continue
            accept = Z[ACC * W + l] != 0.0
            y_norm = Z[YNORM * W + l]
            f_norm = Z[FNORM * W + l]
            hh = Z[HH * W + l]
            hn = Z[HNEW * W + l]
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
            if status == 0 and cand[l] and Z[SNUM * W + l] >= {STIFF_SQ!r} * Z[SDEN * W + l]:
                hn = min(hn, {DAMP_FACTOR!r} * hh)
            hs[l] = hn
            if status != 0:
                b = bidx[l]
                code_out[b] = status
                t_out[b] = t[l]
                steps_out[b] = steps[l]
                for i in range(N):
                    y_out[b, i] = Z[(YS + i) * W + l]
                # The lane computes on harmless values until it takes the next start.
                act[l] = False
                Z[ACT * W + l] = 0.0
                for i in range(N):
                    Z[(YS + i) * W + l] = 0.0
                    Z[i * W + l] = 0.0
                hs[l] = 1.0
                t[l] = 0.0
                tlim[l] = 1.0
    counters[0] += attempts
'''
