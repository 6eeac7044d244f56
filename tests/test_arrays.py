"""The one array backend (linrbp.core._arrays) behind both torch paths."""

import numpy as np
import pytest

from linrbp import DataStats, LinearSystem
from linrbp.core._arrays import NumpyBackend, TorchBackend, get_backend
from linrbp.integration._torch_loop import backend_field


def _system():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((40, 3))
    Y = X @ rng.standard_normal((3, 2))
    stats = DataStats.from_samples(X.T, Y.T)
    fb = [rng.standard_normal((4, 2))]
    return LinearSystem.create([3, 4, 2], "rbp", stats, feedback=fb)


def test_generated_field_on_the_numpy_backend_is_the_system_field():
    # The code the torch loop runs, executed on numpy arrays, against LinearSystem's own field.
    system = _system()
    Y = np.random.default_rng(1).standard_normal((7, system.n_state))
    field = backend_field(system, NumpyBackend(np.float64))
    out = np.empty((system.n_state, 7))
    got = field(np.ascontiguousarray(Y.T), out)
    got = out if got is None else got
    want = np.stack([system(y) for y in Y])
    assert np.max(np.abs(got.T - want)) <= 1e-12 * max(1.0, np.abs(want).max())


def test_trainer_and_integrator_share_the_torch_backend():
    torch = pytest.importorskip("torch")
    from linrbp.trainer import Network, TrainConfig

    net = Network(TrainConfig(dataset="teacher", rule="rbp", activation="tanh", hidden=(5,)), 4, 3, device="cpu")
    assert isinstance(net.backend, TorchBackend)
    be = get_backend(np.float64, "cpu")
    system = _system()
    field = backend_field(system, be)
    Y = np.random.default_rng(2).standard_normal((system.n_state, 5))
    out = field(be.asarray(Y), torch.empty((system.n_state, 5), dtype=torch.float64))
    ref = backend_field(system, NumpyBackend(np.float64))(Y, np.empty_like(Y))
    assert np.max(np.abs(out.numpy() - ref)) <= 1e-12 * max(1.0, np.abs(ref).max())
