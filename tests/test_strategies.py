"""linrbp.strategies draw valid instances covering signs and special cases."""

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from linrbp import strategies as S


@settings(max_examples=30, deadline=None)
@given(st.one_of(S.poly1d_instances(), S.chain111_instances(), S.chain_instances(), S.wide_instances(),
                 S.nonlinear_instances()))
def test_instances_are_json_and_finite(inst):
    text = json.dumps(inst)
    back = json.loads(text)
    vals = [v for v in back.values() if isinstance(v, (int, float))]
    assert all(np.isfinite(vals))


@settings(max_examples=40, deadline=None)
@given(S.chain_instances(min_depth=6, max_depth=6))
def test_chain_depth_and_shapes(inst):
    assert len(inst["weights"]) == 6 and len(inst["feedback"]) == 5 and inst["beta"] > 0


@settings(max_examples=30, deadline=None)
@given(S.chain111_instances(unstable=True))
def test_unstable_starts_are_near_unstable_fixed_points(inst):
    r = inst["alpha"] / inst["beta"]
    # The fixed point the start was drawn around lies inside the parabola a1^2 + c1 a2 < 0.
    a1 = inst["a1"]
    assert abs(inst["beta"] * a1 * inst["a2"] - inst["alpha"]) < 0.5 * abs(inst["alpha"]) + 1.0
    assert np.sign(a1) == -np.sign(inst["c1"] * r)


@settings(max_examples=30, deadline=None)
@given(S.poly1d_instances(special="on-root"))
def test_on_root_starts_are_exact_roots(inst):
    assert np.polyval(inst["coeffs"], inst["x0"]) == 0.0


def test_both_signs_are_drawn():
    from hypothesis import find

    find(S.signed_floats(0.1, 5.0), lambda x: x < 0)
    find(S.signed_floats(0.1, 5.0), lambda x: x > 0)
