"""The trainer's optional torch backend: the same run as numpy, up to rounding.

Both backends take every random draw from the same numpy generators, so after the same
mini-batches the weights may differ by rounding only. Runs on every device torch offers
here (the CPU always, a GPU when present); skipped when torch is not installed.
"""

import sys

import numpy as np
import pytest

from linrbp import InputError
from linrbp.trainer import TrainConfig, teacher_task, train
from linrbp.trainer._train import prepare, run_epoch

torch = pytest.importorskip("torch")
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
DATA = teacher_task(0, n_train=300, n_test=200)

VARIANTS = [{"rule": r} for r in ("bp", "rbp", "srbp", "arbp", "asrbp", "top-only")] + [
    {"rule": "srbp", "derivative": False}, {"rule": "rbp", "resample": "batch"},
    {"rule": "srbp", "resample": "sign-concordant"}, {"rule": "srbp", "hidden_update": "sign"},
    {"rule": "srbp", "hidden_update": "abs"}, {"rule": "srbp", "freeze_layer": 2},
    {"rule": "rbp", "dropout": 0.3}, {"rule": "bp", "error_bits": 4},
    {"rule": "srbp", "error_bits": 6, "error_scale": "batch-mean"}, {"rule": "arbp", "update_bits": 8},
    {"rule": "rbp", "activation": "relu"}, {"rule": "rbp", "activation": "logistic"},
    {"rule": "srbp", "activation": "linear", "output": "linear"},
]
# Relative weight difference after two epochs (24 updates): a few ulps of the dtype.
TOL = {"float64": 1e-13, "float32": 1e-5}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("over", VARIANTS, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
def test_torch_trainer_matches_numpy(over, dtype, device):
    cfg = TrainConfig(dataset="teacher", hidden=(16, 16), epochs=2, batch_size=25, dtype=dtype, **over)
    ref, dref = prepare(cfg, DATA)
    net, dnet = prepare(cfg, DATA, device)
    assert net.backend.name == "torch" and str(net.weights[0].device).startswith(device)
    for _ in range(2):
        run_epoch(ref, dref["x_train"], dref["t_train"])
        run_epoch(net, dnet["x_train"], dnet["t_train"])
    for A, B in zip(ref.weights + ref.feedback, net.host_weights() + [C.cpu().numpy() for C in net.feedback]):
        assert np.max(np.abs(A - B)) <= TOL[dtype] * np.max(np.abs(A)), over
    x_test = DATA.x_test.astype(dtype)
    assert (ref.predict(x_test) == net.predict(x_test)).mean() >= 0.99


@pytest.mark.parametrize("device", DEVICES)
def test_torch_train_result_records_backend(device):
    cfg = TrainConfig(dataset="teacher", hidden=(8,), epochs=1, rule="srbp")
    res, ref = train(cfg, DATA, progress=False, device=device), train(cfg, DATA, progress=False)
    assert res["backend"]["name"] == "torch" and res["backend"]["device"].startswith(device)
    assert ref["backend"] == {"name": "numpy", "device": None}
    assert abs(res["test_accuracy"] - ref["test_accuracy"]) <= 0.01
    for kind, angles in ref["alignment"].items():
        for k, v in angles.items():
            assert res["alignment"][kind][k] == pytest.approx(v, abs=1e-3), (kind, k)


def test_torch_trainer_bad_input(monkeypatch):
    with pytest.raises(InputError, match="device: torch cannot use device 'nonsense'"):
        train(TrainConfig(dataset="teacher", epochs=1), DATA, progress=False, device="nonsense")
    with pytest.raises(InputError, match="device: rule usf runs on the numpy backend only"):
        train(TrainConfig(dataset="teacher", epochs=1, rule="usf"), DATA, progress=False, device="cpu")
    with pytest.raises(InputError, match="device: per-synapse feedback"):
        train(TrainConfig(dataset="teacher", epochs=1, rule="srbp", per_synapse=True), DATA,
              progress=False, device="cpu")
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(InputError, match="device: the trainer's device backend needs torch"):
        train(TrainConfig(dataset="teacher", epochs=1), DATA, progress=False, device="cpu")
