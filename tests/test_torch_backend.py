"""The optional torch backend of integrate_batch: the same method, the same results within tolerance.

Runs on every device torch offers here (the CPU always, a GPU when present); skipped when
torch is not installed (.ci/run installs the CPU build when its wheel is on the machine).
"""

import sys

import numpy as np
import pytest

from linrbp import DataStats, InputError, LinearSystem, integrate_batch
from linrbp.benchmarks._bench import chain111_limits

torch = pytest.importorskip("torch")
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def _chain111(alpha=1.3, beta=0.9, c1=-0.7):
    return LinearSystem.create([1, 1, 1], "rbp", DataStats.from_matrices([[beta]], [[alpha]]), feedback=[[[c1]]])


@pytest.mark.parametrize("device", DEVICES)
def test_torch_matches_numpy_and_closed_form_on_chain111(device):
    system = _chain111()
    Y0 = np.random.default_rng(3).uniform(-2, 2, (3000, 2))
    kw = dict(rtol=1e-12, atol=1e-14, conv_tol=1e-12)
    ref = integrate_batch(system, Y0, 1e4, **kw)
    res = integrate_batch(system, Y0, 1e4, backend="torch", device=device, **kw)
    assert res.info["backend"] == "torch" and res.info["device"].startswith(device)
    assert (res.status == ref.status).all() and (res.status == "converged").all()
    assert np.max(np.abs(res.y - ref.y)) < 1e-10
    assert np.max(np.abs(res.y - chain111_limits(1.3, 0.9, -0.7, Y0))) < 1e-8
    assert np.max(np.abs(res.n_steps - ref.n_steps)) <= 2


@pytest.mark.parametrize("device", DEVICES)
def test_torch_time_limit_state_matches_numpy(device):
    """Stopped at t_max, both backends report the state at t_max: one path, rounding apart."""
    system = _chain111()
    Y0 = np.random.default_rng(4).uniform(-2, 2, (500, 2))
    t_max = np.random.default_rng(5).uniform(0.05, 0.5, 500)
    ref = integrate_batch(system, Y0, t_max)
    res = integrate_batch(system, Y0, t_max, backend="torch", device=device)
    assert (ref.status == "time-limit").all() and (res.status == ref.status).all()
    np.testing.assert_allclose(res.t_end, t_max, rtol=1e-14)
    assert np.max(np.abs(res.y - ref.y)) < 1e-11


@pytest.mark.parametrize("device", DEVICES)
def test_torch_adaptive_single_hidden_matches_numpy(device):
    rng = np.random.default_rng(6)
    n0, n1, n2 = 5, 4, 3
    X = rng.standard_normal((n0, 200))
    stats = DataStats.from_matrices(X @ X.T / 200, rng.standard_normal((n2, n0)) @ X @ X.T / 200)
    system = LinearSystem.create([n0, n1, n2], "arbp", stats)
    Y0 = 0.3 * rng.standard_normal((40, system.n_state))
    kw = dict(rtol=1e-12, atol=1e-14, conv_tol=1e-10)
    ref = integrate_batch(system, Y0, 1e3, **kw)
    res = integrate_batch(system, Y0, 1e3, backend="torch", device=device, **kw)
    assert (res.status == ref.status).all()
    assert np.max(np.abs(res.y - ref.y)) < 1e-8


def test_torch_backend_bad_input():
    with pytest.raises(InputError, match="backend: the torch backend needs a LinearSystem"):
        integrate_batch(lambda y: -y, np.ones((3, 2)), 1.0, backend="torch")
    with pytest.raises(InputError, match="backend: expected 'auto', 'numpy'"):
        integrate_batch(_chain111(), np.ones((3, 2)), 1.0, backend="jax")
    with pytest.raises(InputError, match="device: only the torch backend"):
        integrate_batch(_chain111(), np.ones((3, 2)), 1.0, device="cpu")


def test_torch_missing_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    with pytest.raises(InputError, match="backend: torch is not installed"):
        integrate_batch(_chain111(), np.ones((3, 2)), 1.0, backend="torch")
