"""The robust findings of [BSL] section 4 on a Fashion-MNIST subset, over several seeds.

Settings (chosen so every margin below holds on each seed, not only on average): the paper
network 784-100x4-10 tanh/softmax, first 5000 training and 2000 test images, 6 epochs,
batch 100, lr 0.1/(1 + 1e-6 t), seeds 0, 1, 2.
"""

import numpy as np
import pytest

from linrbp.trainer import TrainConfig, load_fashion_mnist, train
from linrbp.trainer._train import prepare, run_epoch

SEEDS = (0, 1, 2)
VARIANTS = {
    "bp": {"rule": "bp"}, "rbp": {"rule": "rbp"}, "srbp": {"rule": "srbp"},
    "top-only": {"rule": "top-only"}, "srbp-no-fprime": {"rule": "srbp", "derivative": False},
    "rbp-resample": {"rule": "rbp", "resample": "batch"},
    "srbp-resample": {"rule": "srbp", "resample": "batch"},
    "srbp-abs-only": {"rule": "srbp", "hidden_update": "abs"},
}


@pytest.fixture(scope="module")
def acc():
    try:
        data = load_fashion_mnist()
    except ValueError as exc:  # the CI installs the package; say clearly what is missing
        pytest.fail(str(exc))
    out = {}
    for name, over in VARIANTS.items():
        out[name] = np.array([
            train(TrainConfig(limit_train=5000, limit_test=2000, epochs=6, seed=s, **over), data,
                  progress=False)["test_accuracy"] for s in SEEDS])
    print("\n" + "\n".join(f"{k:16s} {np.round(v, 3)} mean {v.mean():.3f}" for k, v in out.items()))
    return out


@pytest.mark.slow
def test_rbp_and_srbp_close_to_bp(acc):
    for rule in ("rbp", "srbp"):
        gap = acc["bp"].mean() - acc[rule].mean()
        assert gap < 0.06, (rule, acc["bp"], acc[rule])


@pytest.mark.slow
def test_top_only_clearly_below_srbp(acc):
    assert acc["srbp"].min() - acc["top-only"].max() > 0.05, (acc["srbp"], acc["top-only"])


@pytest.mark.slow
def test_dropping_fprime_hurts(acc):
    assert acc["srbp"].min() - acc["srbp-no-fprime"].max() > 0.05, (acc["srbp"], acc["srbp-no-fprime"])


@pytest.mark.slow
def test_resampling_every_batch_is_no_better_than_top_only(acc):
    # RBP resampled lands near top-only; SRBP resampled falls below it (the random hidden
    # updates are a random walk that also degrades the random features top-only keeps).
    assert abs(acc["rbp-resample"].mean() - acc["top-only"].mean()) < 0.1, (acc["rbp-resample"], acc["top-only"])
    for name in ("rbp-resample", "srbp-resample"):
        assert acc[name].mean() < acc["top-only"].mean() + 0.03, (name, acc[name], acc["top-only"])
        assert acc[name].max() < acc[name.split("-")[0]].min() - 0.08, (name, acc[name])


@pytest.mark.slow
def test_abs_only_fails(acc):
    assert acc["srbp-abs-only"].max() < 0.2, acc["srbp-abs-only"]


def _input_dependence(over, seed, data):
    """Mean over units of the last hidden layer's standard deviation across 1000 training images."""
    net, d = prepare(TrainConfig(limit_train=5000, limit_test=2000, epochs=6, seed=seed, **over), data)
    for _ in range(6):
        run_epoch(net, d["x_train"], d["t_train"])
    return float(np.mean(net.forward(d["x_train"][:1000].T)[-2].std(axis=1)))


@pytest.mark.slow
def test_resampling_collapses_the_hidden_representation():
    """Why resampled feedback ends below top-only: its mean-zero hidden updates make the last
    hidden layer less input-dependent than the random network top-only keeps (fixed-feedback
    SRBP makes it more). On the full data this ends at chance (README, Results)."""
    data = load_fashion_mnist()
    for s in SEEDS:
        top = _input_dependence({"rule": "top-only"}, s, data)
        resampled = _input_dependence({"rule": "srbp", "resample": "batch"}, s, data)
        fixed = _input_dependence({"rule": "srbp"}, s, data)
        assert resampled < 0.8 * top < 0.4 * fixed, (s, resampled, top, fixed)
