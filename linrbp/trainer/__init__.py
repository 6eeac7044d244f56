"""The non-linear trainer of EXPERIMENTS.md: numpy MLPs under every learning-channel variant.

``train(TrainConfig(...))`` runs one network; ``run_experiments`` runs named sets;
``epoch_seconds`` times one epoch of the paper network. The backward signals and updates are
those of the rules of :data:`linrbp.RULES` (one statement of each rule). As a library:
``Network(TrainConfig(rule=...), n_in, n_out, weights=..., biases=..., feedback=...)`` builds
any rule from given values, ``network.batch_updates(X, T)`` returns one batch's increments,
``network.step(X, T)`` applies them, ``network.alignment(X, T)`` measures (docs/trainer-library.md).
"""

from ._align import alignment, angle_degrees
from ._bench import epoch_seconds
from ._config import ACTIVATIONS, HIDDEN_UPDATES, OUTPUTS, PAPER, TRAIN_RULES, TrainConfig
from ._data import Dataset, load_dataset, load_fashion_mnist, load_idx_dir, teacher_task
from ._experiments import EXPERIMENTS, run_experiments
from ._family import FAMILY, FamilyRule
from ._feedback import DISTRIBUTIONS, RESAMPLING, FeedbackProvider, draw_feedback, forward_counterparts
from ._network import BatchUpdates, Network
from ._quantise import ERROR_ALPHA, UPDATE_ALPHA, quantise, quantiser_levels
from ._train import one_hot, prepare, train
from . import _build  # noqa: F401  (imports the family's modules: their networks register with Network)

__all__ = [
    "ACTIVATIONS", "DISTRIBUTIONS", "Dataset", "FAMILY", "FamilyRule", "ERROR_ALPHA", "EXPERIMENTS", "FeedbackProvider",
    "HIDDEN_UPDATES", "Network", "OUTPUTS", "PAPER", "RESAMPLING", "TRAIN_RULES", "TrainConfig",
    "UPDATE_ALPHA", "alignment", "angle_degrees", "draw_feedback", "epoch_seconds",
    "forward_counterparts", "load_dataset", "load_fashion_mnist", "load_idx_dir", "one_hot",
    "prepare", "quantise", "quantiser_levels", "run_experiments", "teacher_task", "train",
    "BatchUpdates",
]
