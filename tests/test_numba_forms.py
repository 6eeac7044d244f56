"""The vector form of the compiled integrator where its own code paths act: the overshoot
rejection (a finite-time blow-up, against the numpy path's stopping times), the damped steps
near a stiff limit (against the array form, bit for bit, on systems where damping fires; the
other form comparisons never damp), and the array form's own run for a field the vector form
cannot write (np.sign).

The numpy path and the compiled forms may differ by an ulp in the step factor (the power
err_norm ** (-1/8) written with square roots), which over a thousand damped steps moves the step
count by a few; so the damping is checked form against form (same arithmetic, same bits), and
the overshoot rule against numpy (where it acts, the stopping time moves by 1e-4 relative;
rounding moves it by 1e-13)."""

from __future__ import annotations

import numpy as np

from linrbp import DataStats, LinearSystem, Rule, integrate_batch
from linrbp.core._rules import transpose
from linrbp.integration._integrate import STATUSES

from test_numba_backend import _array_form_module, _vector_form_ran, needs_numba


def _cubic_growth(h, A, C, p):
    """W_h = A_h A_h^T A_h: |A| grows like |A|^3, a blow-up in finite time."""
    return A[h] @ transpose(A[h]) @ A[h]


CUBIC = Rule("test-cubic-growth", channel="transpose", weight_drift=_cubic_growth)


def _run_array_form(system, Y0, t_max, tmp_path, **kw):
    module = _array_form_module(system, tmp_path)
    B = len(Y0)
    out = (np.zeros(B, np.int8), np.zeros(B), Y0.copy(), np.zeros(B, np.int64))
    P = np.asarray(system._field_parameters(), dtype=np.float64)[None]
    module.run(Y0, np.full(B, t_max), P, kw["rtol"], kw["atol"], kw["conv_tol"], kw["bound"],
               kw["max_steps"], 0, B, *out, np.zeros(1, np.int64))
    return np.array(("",) + STATUSES)[out[0]], out[1], out[2], out[3]


def test_vector_form_blow_up_stops_where_numpy_does():
    """10 states, a field with squares (integer powers in the vector form's IR), a finite-time
    blow-up at loose tolerance, where steps that land
    past 1000 x bound are rejected (hundreds of such rejections in this batch): the stopping
    times equal the numpy path's to 1e-10 relative (measured 1.2e-13; without the rejection
    2.3e-4) with the same step counts."""
    needs_numba()
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(3, 20)), rng.normal(size=(2, 20))
    system = LinearSystem.create([3, 2, 2], CUBIC, DataStats.from_samples(X, Y))
    assert any("**" in code for _, code in system._compiled_field().statements["temps"])
    Y0 = 0.8 * rng.normal(size=(40, system.n_state))
    kw = dict(rtol=1e-3, atol=1e-5, bound=1e2)
    ref = integrate_batch(system, Y0, 50.0, backend="numpy", **kw)
    out = integrate_batch(system, Y0, 50.0, backend="numba", **kw)
    assert _vector_form_ran(out)
    assert set(ref.status) == {"diverged"} and np.array_equal(ref.status, out.status)
    assert np.array_equal(ref.n_steps, out.n_steps)
    assert np.max(np.abs(out.t_end / ref.t_end - 1)) <= 1e-10


def _stiff(layers, feedback):
    """S_II with eigenvalues 30 and 0.05: transverse rates 600x apart, so the step is held at
    DOP853's stability limit near the limit and the damped steps act."""
    S = np.diag([30.0, 0.05] + [1.0] * (layers[0] - 2))
    S_TI = np.linspace(1.0, -0.7, layers[-1] * layers[0]).reshape(layers[-1], layers[0])
    return LinearSystem.create(layers, "rbp", DataStats.from_matrices(S, S_TI), feedback)


def _stiff_case(layers):
    fb = [np.linspace(0.9, -0.6, layers[1] * layers[2]).reshape(layers[1], layers[2])]
    system = _stiff(layers, fb)
    Y0 = 0.7 * np.random.default_rng(1).normal(size=(19, system.n_state))
    return system, Y0, dict(rtol=1e-10, atol=1e-12, conv_tol=1e-10, bound=1e6, max_steps=200_000)


def test_vector_form_damped_steps_equal_the_array_forms_bit_for_bit(tmp_path):
    """10 states near a stiff limit, where about a third of the accepted steps are damped:
    the vector form's statuses, step counts, stopping times and states equal the array form's
    bit for bit (damping on odd instead of even steps fails this), and the numpy path's
    statuses."""
    needs_numba()
    system, Y0, kw = _stiff_case([3, 2, 2])
    status, t_end, y, steps = _run_array_form(system, Y0, 1e4, tmp_path, **kw)
    assert set(status) == {"converged"}
    out = integrate_batch(system, Y0, 1e4, backend="numba", workers=1, **kw)
    assert _vector_form_ran(out)
    assert np.array_equal(status, out.status) and np.array_equal(steps, out.n_steps)
    assert np.array_equal(t_end, out.t_end) and np.array_equal(y, out.y)
    ref = integrate_batch(system, Y0, 1e4, backend="numpy", **kw)
    assert np.array_equal(ref.status, out.status)


def test_a_field_the_vector_form_cannot_write_runs_in_the_array_form():
    """sign-symmetry's field has np.sign: the array form runs it, with the numpy path's
    statuses and states (to 1e-10)."""
    needs_numba()
    rng = np.random.default_rng(4)
    system = LinearSystem.create([1, 1, 1], "sign-symmetry", DataStats.from_matrices([[1.0]], [[0.8]]))
    assert any("sign" in code for _, code in system._compiled_field().statements["temps"]) or \
        any("sign" in code for code in system._compiled_field().statements["outputs"])
    Y0 = rng.uniform(0.2, 2.0, (20, system.n_state))
    kw = dict(rtol=1e-10, atol=1e-12, conv_tol=1e-10)
    ref = integrate_batch(system, Y0, 50.0, backend="numpy", **kw)
    out = integrate_batch(system, Y0, 50.0, backend="numba", **kw)
    assert out.info["backend"] == "numba" and "linrbp_kernel_vector_" not in out.info["kernel"]
    assert np.array_equal(ref.status, out.status)
    scale = np.abs(ref.y).max(axis=1)
    assert np.all(np.abs(ref.y - out.y).max(axis=1) <= 1e-10 * scale)


def test_a_rule_edited_under_the_same_name_gets_its_own_kernel():
    """The kernel cache is keyed by the generated field, not the rule's name: a researcher who
    changes a rule's drift and keeps its name (same shapes, same cache directory) gets the new
    rule's machine code (before the fix the second run returned the first rule's states)."""
    needs_numba()
    Y0 = np.array([[0.5, 0.5]] * 3)
    for k in (0.1, 2.0):
        rule = Rule("test-edited-decay", channel="transpose",
                    weight_drift=lambda h, A, C, p, k=k: A[h] * (-k))
        system = LinearSystem.create([1, 1, 1], rule, DataStats.from_matrices([[1.0]], [[1.0]]))
        ref = integrate_batch(system, Y0, 3.0, backend="numpy", conv_tol=1e-300)
        out = integrate_batch(system, Y0, 3.0, backend="numba", conv_tol=1e-300)
        assert out.info["backend"] == "numba"
        np.testing.assert_allclose(out.y, ref.y, rtol=1e-12)


def test_vector_form_results_do_not_depend_on_the_lanes():
    """Small systems run 16 trajectories side by side, larger ones 8 (the lanes never mix: a
    lane's operations are its trajectory's alone). chain111 (2 states) starts that converge at
    once, converge, leave the bound, reach t_max or run out of steps give the same statuses,
    step counts, stopping times and states bit for bit on 16, 8 and 4 lanes (8 lanes is the
    width the array-form comparisons above check bit for bit)."""
    needs_numba()
    from linrbp.benchmarks import _bench
    from linrbp.integration import _numba_backend as nb
    from linrbp.integration import _vector_form as vf
    system = LinearSystem.create([1, 1, 1], "rbp", DataStats.from_matrices([[0.9]], [[1.1]]),
                                 feedback=[[[-0.6]]])
    rng = np.random.default_rng(11)
    Y0 = rng.uniform(-3, 3, (203, 2))
    Y0[5] = _bench.chain111_limits(1.1, 0.9, -0.6, Y0[5:6])[0]
    default, _, _ = nb.kernel_for(system)
    assert default.W == vf.lanes(2) == 16
    st = nb._statements(system)
    P = np.asarray(system._field_parameters(), dtype=np.float64)[None]
    B = len(Y0)
    runs = {}
    for W in (16, 8, 4):
        kernel = default if W == default.W else nb._VectorKernel(
            default.dispatcher, vf.compile_ir(vf.step_ir(st, f"test_lanes_{W}", W=W)), 2, st["n_par"], W=W)
        out = (np.zeros(B, np.int8), np.zeros(B), Y0.copy(), np.zeros(B, np.int64))
        kernel.run(Y0, np.full(B, 3.0), P, 1e-10, 1e-12, 1e-6, 2.5, 25, 0, B, *out, np.zeros(1, np.int64))
        runs[W] = out
    assert set(runs[16][0]) == {1, 2, 3, 4}, set(runs[16][0])  # every status
    for W in (8, 4):
        for a, b in zip(runs[16], runs[W]):
            assert np.array_equal(a, b), W
