"""EXPERIMENTS.md findings asserted on the quick preset (Fashion-MNIST, first 5000 training and
2000 test images, 4 epochs, the paper network and learning rate), seeds 0, 1, 2.

Test accuracies measured on these seeds (linrbp at this commit, numpy backend):
srbp .769 .769 .780; rbp .738 .747 .755; top-only .640 .644 .616;
rbp-sign-concordant .783 .784 .773; srbp-sign-concordant .797 .788 .766;
arbp .764 .747 .759; asrbp .792 .785 .786; srbp-sign-only .742 .756 .764;
srbp-10-bits .735 .739 .745; rbp-dropout-0.5 .713 .730 .710; srbp-dropout-0.5 .766 .763 .773.
Each margin below is at most about half of the gap measured on the worst seed, and the seed
spread of one variant is at most .03.

Not asserted because it does not hold on this preset (reported, not hidden): ReLU and logistic
hidden units under RBP at the paper's one learning rate reach .17-.29 and .10 (chance);
10-bit error signals are 2.4-3.5 points below float, not equal to it.

Per-synapse feedback costs about 20x a plain SRBP epoch, so its finding runs on a shorter
preset of its own (first 5000 training and 2000 test images, 2 epochs, seeds 0 and 1), measured:
srbp-per-synapse .612 .585; top-only .597 .608; srbp .672 .704.
"""

import numpy as np
import pytest

from linrbp.trainer import TrainConfig, load_fashion_mnist, train
from linrbp.trainer._experiments import PRESETS, experiment_variants

SEEDS = (0, 1, 2)
NAMES = ("srbp", "rbp", "top-only", "rbp-sign-concordant", "srbp-sign-concordant", "arbp", "asrbp",
         "srbp-sign-only", "srbp-10-bits", "rbp-dropout-0.5", "srbp-dropout-0.5")


@pytest.fixture(scope="module")
def acc():
    try:
        data = load_fashion_mnist()
    except ValueError as exc:  # the CI installs the package; say clearly what is missing
        pytest.fail(str(exc))
    variants = {**experiment_variants("variants"), **experiment_variants("bits", quick=True)}
    out = {n: np.array([train(TrainConfig(**PRESETS["quick"], seed=s, **variants[n]), data,
                              progress=False)["test_accuracy"] for s in SEEDS]) for n in NAMES}
    print("\n" + "\n".join(f"{k:22s} {np.round(v, 4)}" for k, v in out.items()))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("rule", ["rbp", "srbp"])
def test_sign_concordant_resampling_learns(acc, rule):
    # measured: worst seed .13 above top-only's best, and not below the fixed feedback's mean
    sc = acc[f"{rule}-sign-concordant"]
    assert sc.min() - acc["top-only"].max() > 0.06, (sc, acc["top-only"])
    assert sc.mean() > acc[rule].mean() - 0.02, (sc, acc[rule])


@pytest.mark.slow
@pytest.mark.parametrize("adaptive, fixed", [("arbp", "rbp"), ("asrbp", "srbp")])
def test_adaptive_rules_learn(acc, adaptive, fixed):
    # measured: worst seed .10 above top-only's best; means .01 above the fixed rule's
    assert acc[adaptive].min() - acc["top-only"].max() > 0.05, (acc[adaptive], acc["top-only"])
    assert acc[adaptive].mean() > acc[fixed].mean() - 0.02, (acc[adaptive], acc[fixed])


@pytest.mark.slow
def test_sign_only_between_srbp_and_top_only(acc):
    so = acc["srbp-sign-only"]
    # measured: .10 above top-only's best; below SRBP on every seed by .013-.028 (paired)
    assert so.min() - acc["top-only"].max() > 0.05, (so, acc["top-only"])
    assert np.all(acc["srbp"] - so > 0.005), (acc["srbp"], so)


@pytest.mark.slow
def test_ten_error_bits_close_to_float(acc):
    # measured: 2.4-3.5 points below float on the same seed, .09 above top-only's best
    gap = acc["srbp"] - acc["srbp-10-bits"]
    assert np.all(gap < 0.06), (acc["srbp"], acc["srbp-10-bits"])
    assert acc["srbp-10-bits"].min() - acc["top-only"].max() > 0.05


@pytest.mark.slow
@pytest.mark.parametrize("rule", ["rbp", "srbp"])
def test_learning_channel_dropout_is_robust(acc, rule):
    # measured mean loss: rbp .029, srbp .005; worst seed .07 above top-only's best
    do = acc[f"{rule}-dropout-0.5"]
    assert acc[rule].mean() - do.mean() < 0.05, (acc[rule], do)
    assert do.min() - acc["top-only"].max() > 0.035, (do, acc["top-only"])


@pytest.mark.slow
def test_per_synapse_feedback_fails():
    """EXPERIMENTS.md: per-synapse random feedback fails: no better than training the top layer
    alone, clearly below SRBP with one feedback matrix per layer (same seeds, same images)."""
    data = load_fashion_mnist()
    cfg = dict(limit_train=5000, limit_test=2000, epochs=2)
    acc = {name: np.array([train(TrainConfig(**cfg, seed=s, **kw), data, progress=False)["test_accuracy"]
                           for s in (0, 1)])
           for name, kw in {"per-synapse": dict(rule="srbp", per_synapse=True), "top-only": dict(rule="top-only"),
                            "srbp": dict(rule="srbp")}.items()}
    # measured: below SRBP by .06 and .12 (paired); within .02 of top-only on each seed
    assert np.all(acc["srbp"] - acc["per-synapse"] > 0.03), acc
    assert np.all(acc["per-synapse"] - acc["top-only"] < 0.04), acc  # no better than the top layer alone
