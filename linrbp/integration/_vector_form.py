"""The vector form of the compiled integrator: one generic loop, compiled once, and a small
per-system step written directly as LLVM vector code.

Compiling a system's whole kernel with numba took 4-30 CPU-seconds on a fresh cache (most of
it numba's own typing and lowering of thousands of generated statements). Here the work is
split where the system ends:

* everything a step does on every lane depends on the system and is emitted as LLVM IR on
  ``W``-wide vectors of doubles, one trajectory per vector element (:func:`step_ir`): the 12
  stages with the field inside each, the error sums, |y_new|_inf and |f(y_new)|_inf, the step
  control, t and the step count, the damping test, the stiffness sums (only in steps where
  some lane may be damped: the one branch), the damped step, the accepted lanes' update and
  the events, all in one function (``step``), every other branch a select; it compiles in
  0.05-1.4 s;
* the loop around it (starting steps, refilling a lane whose trajectory ended, writing the
  results) depends only on the method and is numba code (:data:`DRIVER`) compiled once per
  machine and cached on disk; it calls the step through function addresses given at run time
  (:func:`call_ptr`) and touches a lane only when its trajectory ends.

Every trajectory does the array form's operations (the same expressions per component, the
same step control and event tests), so the statuses, step counts, stopping times and states
equal the array form's bit for bit (tested).
"""

from __future__ import annotations

import ast
import hashlib
import threading

FLAGS = ()  # LLVM fast-math flags on every operation (("contract",): fused multiply-adds)
IR_OPT = 0  # the optimisation pipeline run on the step (llvmlite speed_level; the IR is already
# straight-line code without redundancy: levels 0 and 2 ran A[5,4,3] alike, level 0 compiles it
# in 0.7-0.9 s against 1.1-1.4 s)
CODEGEN_OPT = 1  # the code generator's level (2 and 3: no faster, slower to compile)
W = 8  # trajectories side by side: one AVX-512 register of doubles (two AVX2 ones)
# Systems of at most SMALL_N states run SMALL_W trajectories side by side (two registers per
# row): their step is a short chain of dependent operations per stage, and two independent
# vectors interleaved keep the multipliers busy (the step alone per trajectory, measured on
# chain111 (2 states) and the depth-4 chain: 18.2 -> 12.9 ns and 28.6 -> 25.7 ns; A[5,4,3], 32
# states, is limited by the multiplications themselves and ran slower: 407 -> 517 ns). Whole
# runs at the threshold: 8 states (A[2,2,2], a depth-8 chain) 3-5% faster on 16 lanes, 12
# states (A[2,3,2]) 15% slower.
SMALL_N, SMALL_W = 8, 16


def lanes(n: int) -> int:
    """Trajectories side by side for a system of ``n`` states."""
    return SMALL_W if n <= SMALL_N else W


def _require_eighth_root():
    from . import _dop853 as core
    if core._EXPONENT != -1.0 / 8.0:
        raise _NotVectorisable(f"the step control writes err_norm ** (-1/8) with square roots, "
                               f"the exponent is {core._EXPONENT}")


class _NotVectorisable(Exception):
    """A field statement the vector form cannot write (the caller falls back to numba forms)."""


# One-row entries after HH (the step), in this order (the driver's template spells them out):
# the error sums, both norms, accepted (1.0/0.0), the stiffness sums, rtol, atol, bound, active,
# last step rejected, the next step, the step per lane, t, t_max, steps, conv_tol, max_steps,
# damping candidate, status, attempts, the start a lane runs (the driver's), and FLAG (lane 1: some status).
_ROWS = ("E5", "E3", "YNORM", "FNORM", "ACC", "SNUM", "SDEN", "RT", "AT", "BOUND", "ACT", "RETRY",
         "HNEW", "HS", "T", "TLIM", "STEPS", "CONV", "MAXS", "CAND", "STATUS", "ATT", "BIDX", "FLAG")


def layout(n: int, n_par: int, ns: int) -> dict:
    """Row indices of the buffer ``Z`` (row r, lane l at ``Z[r * W + l]``)."""
    NP = max(n_par, 1)
    rows = {"K": 0, "YS": (ns + 1) * n, "YN": (ns + 2) * n, "PR": (ns + 3) * n}
    rows["FOUT"] = rows["PR"] + NP
    rows["HH"] = rows["FOUT"] + n
    for k, name in enumerate(_ROWS, start=1):
        rows[name] = rows["HH"] + k
    rows["ROWS"] = rows[_ROWS[-1]] + 1
    return rows


def step_ir(st: dict, name: str, W: int | None = None) -> str:
    """LLVM IR (text) of two functions ``void f(double* Z)`` for the field's statements ``st``
    (``LinearSystem._compiled_field().statements``): ``field`` (rows YN -> FOUT) and ``step``
    (see the module docstring). Raises :class:`_NotVectorisable` for a
    statement other than sums, differences, products and quotients of names and numbers.
    ``W``: trajectories side by side (default :func:`lanes` of the system's size)."""
    from llvmlite import ir

    from . import _dop853 as core

    n, n_par, ns = st["n_state"], st["n_par"], core._NS
    W = lanes(n) if W is None else W
    R = layout(n, n_par, ns)
    dbl, i64 = ir.DoubleType(), ir.IntType(64)
    vec, ivec = ir.VectorType(dbl, W), ir.VectorType(i64, W)
    mod = ir.Module(name=name)
    fabs = ir.Function(mod, ir.FunctionType(vec, [vec]), f"llvm.fabs.v{W}f64")
    vsqrt = ir.Function(mod, ir.FunctionType(vec, [vec]), f"llvm.sqrt.v{W}f64")
    FM = FLAGS
    parsed = [(t, ast.parse(code, mode="eval").body) for t, code in st["temps"]]
    outputs = [ast.parse(code, mode="eval").body for code in st["outputs"]]

    consts = {}

    def const(x):  # one object per value (llvmlite formats a constant once per object)
        x = float(x)
        key = x.hex()  # distinguishes 0.0 and -0.0
        if key not in consts:
            consts[key] = ir.Constant(vec, [ir.Constant(dbl, x)] * W)
        return consts[key]

    def function(fname):
        fn = ir.Function(mod, ir.FunctionType(ir.VoidType(), [dbl.as_pointer()]), fname)
        fn.args[0].add_attribute("noalias")
        b = ir.IRBuilder(fn.append_basic_block())
        z = fn.args[0]
        rows = {}

        def ptr(row):  # one address per row and basic block
            if row not in rows:
                rows[row] = b.bitcast(b.gep(z, [ir.Constant(i64, row * W)]), vec.as_pointer())
            return rows[row]

        def enter(block):  # continue in ``block`` (addresses made in another may not dominate it)
            b.position_at_end(block)
            rows.clear()
        fn.enter = enter

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

    def vmin(a, c):  # numba's min(a, c)
        return b.select(b.fcmp_ordered("<", c, a), c, a)

    def vmax(a, c):  # numba's max(a, c)
        return b.select(b.fcmp_ordered(">", c, a), c, a)
    t_now, tlim = load(R["T"]), load(R["TLIM"])
    hh = vmin(load(R["HS"]), b.fsub(tlim, t_now, flags=FM))
    store(R["HH"], hh)
    ps = [load(R["PR"] + j) for j in range(n_par)]
    rtol, atol = load(R["RT"]), load(R["AT"])
    # The stages' values are stored in Z (rows K) as they are made and loaded where used: kept
    # as values, 13 stages of n states spilled to the stack (a store and a load more each).
    def kload(s, i):
        return load(R["K"] + s * n + i)
    for r in range(1, ns):
        row = core._A[r, :r]
        y = [b.fadd(load(R["YS"] + i), b.fmul(hh, comb(b, row, [kload(s, i) for s in range(r)]), flags=FM), flags=FM)
             for i in range(n)]
        for i, v in enumerate(field(b, y, ps)):
            store(R["K"] + r * n + i, v)
    # y_new and, state by state, the error sums (E5 and E3 weigh stages 0..NS-1 only, so they
    # come before f(y_new); the products E3 shares with B are made once), |y_new|_inf.
    assert core._E5[ns] == 0.0 and core._E3[ns] == 0.0
    e5 = e3 = const(0.0)
    ynorm = fnorm = const(0.0)
    y = []
    for i in range(n):
        made = {}

        def term(c, s):
            if (c, s) not in made:
                made[c, s] = b.fmul(const(c), kload(s, i), flags=FM)
            return made[c, s]

        def comb_i(coefficients):
            acc = None
            for s, c in enumerate(coefficients):
                if c != 0.0:
                    acc = term(float(c), s) if acc is None else b.fadd(acc, term(float(c), s), flags=FM)
            return const(0.0) if acc is None else acc
        ys = load(R["YS"] + i)
        yi = b.fadd(ys, b.fmul(hh, comb_i(core._B), flags=FM), flags=FM)
        store(R["YN"] + i, yi)
        y.append(yi)
        a, c = b.call(fabs, [ys]), b.call(fabs, [yi])
        sc = b.fadd(b.fmul(b.select(b.fcmp_ordered(">", c, a), c, a), rtol, flags=FM), atol, flags=FM)
        a5 = b.fdiv(comb_i(core._E5[:ns]), sc, flags=FM)
        a3 = b.fdiv(comb_i(core._E3[:ns]), sc, flags=FM)
        e5 = b.fadd(e5, b.fmul(a5, a5, flags=FM), flags=FM)
        e3 = b.fadd(e3, b.fmul(a3, a3, flags=FM), flags=FM)
        ynorm = vmax_nan(b, c, ynorm)
    for i, v in enumerate(field(b, y, ps)):
        store(R["K"] + ns * n + i, v)
        fnorm = vmax_nan(b, b.call(fabs, [v]), fnorm)
    for row, v in (("E5", e5), ("E3", e3), ("YNORM", ynorm), ("FNORM", fnorm)):
        store(R[row], v)
    # Step control (scipy's DOP853 rules, as _dop853._step_control and the array form's
    # _STEP_CONTROL, every lane at once: its branches as selects, the same operations).
    _require_eighth_root()

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
    act = load(R["ACT"])
    acc = b.and_(accept, b.fcmp_unordered("!=", act, const(0.0)))
    store(R["ACC"], b.select(acc, const(1.0), const(0.0)))
    store(R["RETRY"], b.select(accept, const(0.0), const(1.0)))
    store(R["HNEW"], b.fmul(hh, factor, flags=FM))
    # Bookkeeping of the active lanes: an attempt, and where accepted t += hh, steps += 1.
    store(R["ATT"], b.fadd(load(R["ATT"]), act, flags=FM))
    t_new = b.select(acc, b.fadd(t_now, hh, flags=FM), t_now)
    steps = b.select(acc, b.fadd(load(R["STEPS"]), const(1.0), flags=FM), load(R["STEPS"]))
    store(R["T"], t_new)
    store(R["STEPS"], steps)
    # Damping candidates (as _dop853._damp_candidates): accepted, even step count, |f| in the zone.
    even = b.icmp_signed("==", b.and_(b.fptosi(steps, ivec), ir.Constant(ivec, [ir.Constant(i64, 1)] * W)),
                         ir.Constant(ivec, [ir.Constant(i64, 0)] * W))
    conv = load(R["CONV"])
    zone = b.fmul(const(core._DAMP_ZONE), b.fadd(
        b.fmul(conv, b.fadd(const(1.0), ynorm, flags=FM), flags=FM),
        b.fdiv(b.fmul(const(core._STABILITY_REAL), b.fadd(b.fmul(rtol, ynorm, flags=FM), atol, flags=FM), flags=FM),
               hh, flags=FM), flags=FM), flags=FM)
    cand = b.and_(b.and_(acc, even), b.fcmp_ordered("<=", fnorm, zone))
    store(R["CAND"], b.select(cand, const(1.0), const(0.0)))
    some = b.icmp_unsigned("!=", b.bitcast(cand, ir.IntType(W)), ir.Constant(ir.IntType(W), 0))
    stiff_block, finish_block = fn.append_basic_block("stiff"), fn.append_basic_block("finish")
    b.cbranch(some, stiff_block, finish_block)

    # Only where some lane is a damping candidate: the stiffness estimate's sums (as
    # _dop853._damped_steps), from the stored stages.
    fn.enter(stiff_block)
    snum = sden = const(0.0)
    for i in range(n):
        ks = [load(R["K"] + s * n + i) for s in range(len(core._D_LAST))]
        dl = comb(b, core._D_LAST, ks)
        dk = b.fsub(load(R["K"] + ns * n + i), load(R["K"] + (ns - 1) * n + i), flags=FM)
        sden = b.fadd(sden, b.fmul(dl, dl, flags=FM), flags=FM)
        snum = b.fadd(snum, b.fmul(dk, dk, flags=FM), flags=FM)
    store(R["SNUM"], snum)
    store(R["SDEN"], sden)
    b.branch(finish_block)

    # Damped steps, accepted lanes take y_new and f(y_new), events (as the array form's).
    fn.enter(finish_block)
    acc = b.fcmp_unordered("!=", load(R["ACC"]), const(0.0))
    for i in range(n):
        store(R["YS"] + i, b.select(acc, load(R["YN"] + i), load(R["YS"] + i)))
        store(R["K"] + i, b.select(acc, load(R["K"] + ns * n + i), load(R["K"] + i)))
    ynorm, fnorm, hh, hn = load(R["YNORM"]), load(R["FNORM"]), load(R["HH"]), load(R["HNEW"])
    t_now, steps = load(R["T"]), load(R["STEPS"])
    zero = const(0.0)
    status = b.select(b.and_(acc, b.fcmp_ordered(">=", t_now, b.fmul(load(R["TLIM"]), const(1 - 1e-15), flags=FM))),
                      const(core._TIME_LIMIT), zero)
    status = b.select(b.and_(acc, b.fcmp_ordered("<=", fnorm, b.fmul(load(R["CONV"]), b.fadd(const(1.0), ynorm, flags=FM),
                                                                      flags=FM))), const(core._CONVERGED), status)
    status = b.select(b.and_(acc, b.fcmp_ordered(">", ynorm, load(R["BOUND"]))), const(core._DIVERGED), status)
    running = b.fcmp_ordered("==", status, zero)
    tiny = b.fcmp_ordered("<=", hn, b.fmul(const(1e-14), b.select(b.fcmp_ordered(">", const(1.0), t_now), const(1.0), t_now),
                                           flags=FM))
    status = b.select(b.and_(running, tiny), const(core._DIVERGED), status)
    status = b.select(b.and_(running, b.fcmp_ordered(">=", steps, load(R["MAXS"]))), const(core._STEP_LIMIT), status)
    running = b.fcmp_ordered("==", status, zero)
    damp = b.and_(b.and_(running, b.fcmp_unordered("!=", load(R["CAND"]), zero)),
                  b.fcmp_ordered(">=", load(R["SNUM"]), b.fmul(const(core._STIFF_SQ), load(R["SDEN"]), flags=FM)))
    store(R["HS"], b.select(damp, vmin(hn, b.fmul(const(core._DAMP_FACTOR), hh, flags=FM)), hn))
    status = b.select(b.fcmp_unordered("!=", load(R["ACT"]), zero), status, zero)
    store(R["STATUS"], status)
    some = b.icmp_unsigned("!=", b.bitcast(b.fcmp_unordered("!=", status, zero), ir.IntType(W)),
                           ir.Constant(ir.IntType(W), 0))
    flag_row = b.bitcast(b.gep(fn.args[0], [ir.Constant(i64, R["FLAG"] * W + 1)]), dbl.as_pointer())
    b.store(b.select(some, ir.Constant(dbl, 1.0), ir.Constant(dbl, 0.0)), flag_row)
    b.ret_void()
    return str(mod)


_ENGINES: list = []  # compiled modules stay alive (their code is called by address)
_LLVM_LOCK = threading.Lock()


def compile_ir(text: str):
    """Addresses (int64[2]: field, step) of ``text`` compiled for this CPU."""
    import llvmlite.binding as llvm
    import numpy as np
    with _LLVM_LOCK:
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        triple = llvm.get_process_triple()
        tm = llvm.Target.from_triple(triple).create_target_machine(
            cpu=llvm.get_host_cpu_name(), features=llvm.get_host_cpu_features().flatten(), opt=CODEGEN_OPT)
        mod = llvm.parse_assembly(text)
        mod.triple = triple
        mod.data_layout = str(tm.target_data)
        mod.verify()
        pto = llvm.create_pipeline_tuning_options(speed_level=IR_OPT)
        pb = llvm.create_pass_builder(tm, pto)
        pb.getModulePassManager().run(mod, pb)
        engine = llvm.create_mcjit_compiler(mod, tm)
        engine.finalize_object()
        _ENGINES.append(engine)
        return np.array([engine.get_function_address(f) for f in ("field", "step")],
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
        NS=core._NS, FASTMATH=fastmath,
        start_step_12=textwrap.indent(start_step, " " * 12),
        rows="\n".join(f"    {name} = HH + {k}" for k, name in enumerate(_ROWS, start=1)),
        CONVERGED=core._CONVERGED, DIVERGED=core._DIVERGED, TIME_LIMIT=core._TIME_LIMIT,
        STEP_LIMIT=core._STEP_LIMIT, DAMP_ZONE=core._DAMP_ZONE, STABILITY_REAL=core._STABILITY_REAL,
        DAMP_FACTOR=core._DAMP_FACTOR, STIFF_SQ=core._STIFF_SQ)


def driver_key(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()[:24]


# The loop around the step, for any system: W trajectories side by side in the flat buffer Z
# (rows as layout()), the step's work in the functions at addresses F (field, step): stages,
# step control and events per lane, as the array form's.
DRIVER = '''# Generated by linrbp.integration._vector_form (the vector form's loop); do not edit.
import math
import numpy as np
from numba import njit
from linrbp.integration._vector_form import call_ptr

_JIT = dict(cache=True, nogil=True, error_model='numpy', fastmath={FASTMATH!r})
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
def lane_field(F, Z, W, l, y, K, row, N, YN, FOUT):
    # f(y) into K[row] for lane l (the other lanes compute on whatever they hold).
    for i in range(N):
        Z[(YN + i) * W + l] = y[i]
    call_ptr(F[0], Z)
    for i in range(N):
        K[row, i] = Z[(FOUT + i) * W + l]


@njit(**_JIT)
def run(Y0, tmax_all, P, rtol, atol, conv_tol, bound, max_steps, lo, hi,
        code_out, t_out, y_out, steps_out, counters, F, W):
    N = Y0.shape[1]
    NP = P.shape[1]
    YS = (NS + 1) * N
    YN = YS + N
    PR = YN + N
    FOUT = PR + NP
    HH = FOUT + N
{rows}
    # Z's rows start on 64-byte boundaries (numba aligns arrays to 32 bytes: a misaligned row
    # splits every 8-wide load across two cache lines, measured 25% slower on A[5,4,3]).
    size = (FLAG + 1) * W
    Zraw = np.zeros(size + 8)
    skip = ((64 - Zraw.ctypes.data % 64) % 64) // 8
    Z = Zraw[skip:skip + size]
    for l in range(W):
        Z[RT * W + l] = rtol
        Z[AT * W + l] = atol
        Z[BOUND * W + l] = bound
        Z[CONV * W + l] = conv_tol
        Z[MAXS * W + l] = max_steps
        Z[HS * W + l] = 1.0
        Z[TLIM * W + l] = 1.0
    y = np.empty(N)
    yn = np.empty(N)
    K = np.empty((2, N))
    nxt = lo
    active = 0
    while True:
        # Lanes without a trajectory take the chunk's next starts.
        l = 0
        while active < W and nxt < hi and l < W:
            if Z[ACT * W + l] != 0.0:
                l += 1
                continue
            b = nxt
            nxt += 1
            p = P[b] if P.shape[0] > 1 else P[0]
            for j in range(NP):
                Z[(PR + j) * W + l] = p[j]
{start_step_12}            for i in range(N):
                Z[(YS + i) * W + l] = y[i]
                Z[i * W + l] = K[0, i]
            Z[HS * W + l] = h
            Z[T * W + l] = 0.0
            Z[TLIM * W + l] = tmax
            Z[STEPS * W + l] = 0.0
            Z[RETRY * W + l] = 0.0
            Z[ACT * W + l] = 1.0
            Z[BIDX * W + l] = b
            active += 1
            l += 1
        if active == 0:
            break
        call_ptr(F[1], Z)  # the step, its control, damped steps, accepted lanes' update, events
        if Z[FLAG * W + 1] != 0.0:
            for l in range(W):
                status = int(Z[STATUS * W + l])
                if status == 0:
                    continue
                b = int(Z[BIDX * W + l])
                code_out[b] = status
                t_out[b] = Z[T * W + l]
                steps_out[b] = int(Z[STEPS * W + l])
                for i in range(N):
                    y_out[b, i] = Z[(YS + i) * W + l]
                # The lane computes on harmless values until it takes the next start.
                Z[ACT * W + l] = 0.0
                for i in range(N):
                    Z[(YS + i) * W + l] = 0.0
                    Z[i * W + l] = 0.0
                Z[HS * W + l] = 1.0
                Z[T * W + l] = 0.0
                Z[TLIM * W + l] = 1.0
                active -= 1
    attempts = 0.0
    for l in range(W):
        attempts += Z[ATT * W + l]
    counters[0] += int(attempts)
'''
