"""The trainer's configuration: the paper's protocol as defaults, every variant as a field."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace

from ..core._errors import InputError
from ..core._rules import RULES
from ._family import FAMILY, validate_family
from ._feedback import DISTRIBUTIONS, RESAMPLING

__all__ = ["TrainConfig", "TRAIN_RULES", "ACTIVATIONS", "OUTPUTS", "HIDDEN_UPDATES", "PAPER"]

TRAIN_RULES = tuple(dict.fromkeys(tuple(RULES) + ("top-only",) + tuple(FAMILY)))
ACTIVATIONS = ("tanh", "logistic", "relu", "linear")
# softmax + cross-entropy, linear + squared error, or sigmoid + binary cross-entropy
OUTPUTS = ("softmax", "linear", "sigmoid")
DECAY_ORDERS = ("after", "before")  # Kolen-Pollack: decay after the step, or of the old weights
HIDDEN_UPDATES = ("full", "sign", "abs")
ERROR_SCALES = ("example", "batch-mean")

# [BSL] section 4 protocol (EXPERIMENTS.md): metadata as data.
PAPER = {
    "hidden": (100, 100, 100, 100), "activation": "tanh", "output": "softmax",
    "epochs": 100, "batch_size": 100, "lr": 0.1, "lr_decay": 1e-6,
    "init": "glorot normal", "optimizer": "plain SGD, no momentum",
    "reference": "Baldi, Sadowski & Lu 2018, section 4",
}


@dataclass(frozen=True)
class TrainConfig:
    r"""One training run: the paper's protocol (:data:`PAPER`, [BSL] section 4) as defaults, every variant as a field.

    Validated when made: a bad field or a combination a rule does not define is an InputError
    naming the option (as ``linrbp train`` spells it). ``depth`` is L, ``base_rule`` the rule of
    :data:`linrbp.RULES` whose backward pass it uses; :meth:`to_dict` / :meth:`from_dict` are the
    JSON form recorded in results, :meth:`with_` a copy with fields changed.
    Variants are numbered as in EXPERIMENTS.md.

    Parameters
    ----------
    rule : str, default "bp"
        A rule of :data:`TRAIN_RULES` or a registered one: bp, rbp, srbp, arbp, asrbp,
        top-only (hidden layers frozen) and the wider family (:data:`FAMILY`).
    derivative : bool, default True
        False drops f' from the backward signals (variant 2).
    dataset : str, default "fashion-mnist"
        The data set's name (:func:`load_dataset`), when :func:`train` is not given one.
    data_dir : str, optional
        Its directory (``idx``: required).
    data_seed : int, default 0
        Seed of the teacher tasks.
    hidden : tuple of int, default (100, 100, 100, 100)
        Hidden layer sizes :math:`N_1, \dots, N_{L-1}`.
    activation : {"tanh", "logistic", "relu", "linear"}, default "tanh"
        Hidden units (variant 10).
    output : {"softmax", "linear", "sigmoid"}, default "softmax"
        Softmax + cross-entropy, linear + squared error, or sigmoid + binary cross-entropy per
        output unit; the output error is :math:`\delta_L = T - O_L` for all three.
    bias : bool, default True
        Biases in every layer.
    epochs : int, default 100
        Passes over the training set.
    batch_size : int, default 100
        Examples per mini-batch.
    lr : float, default 0.1
        Learning rate; at step t it is lr / (1 + lr_decay t).
    lr_decay : float, default 1e-6
        Learning-rate decay per step.
    limit_train, limit_test : int, optional
        Use only the first so many training / test examples.
    seed : int, default 0
        Seed of the weights, feedback, dropout masks and example order.
    dtype : {"float32", "float64"}, default "float32"
        The arithmetic.
    feedback : {"gaussian", "uniform", "binary", "binary01"}, default "gaussian"
        The feedback law (variant 4, :func:`draw_feedback`).
    feedback_mean : float, default 0.0
        Its mean, in units of the entries' standard deviation.
    feedback_sparsity : float, optional
        Fraction of entries kept per row, in (0, 1].
    resample : {"none", "batch", "sign-concordant"}, default "none"
        Redraw the feedback at every mini-batch (variant 5, :class:`FeedbackProvider`).
    hidden_update : {"full", "sign", "abs"}, default "full"
        Hidden layers' updates replaced by their signs (times the mean magnitude) or absolute
        values (variant 6).
    per_synapse : bool, default False
        One feedback vector per synapse (srbp, variant 7).
    freeze_layer : int, optional
        A layer (1-based, 1..L) that does not learn (variant 8).
    dropout : float, default 0.0
        Dropout probability in the learning channel, in [0, 1) (variant 9).
    error_bits : int, optional
        Quantise the backward signals to so many bits, 1..24, range :data:`ERROR_ALPHA`
        (variant 11, :func:`quantise`).
    error_scale : {"example", "batch-mean"}, default "example"
        What the quantiser sees: each example's :math:`\delta_h`, or its share
        :math:`\delta_h / B` of the batch-mean loss.
    update_bits : int, optional
        Quantise the per-example weight updates to so many bits, 1..24, range
        :data:`UPDATE_ALPHA`; the learning rate is then fixed at ``lr`` (variant 12).
    align_examples : int, default 1000
        Training examples of the alignment probe (:func:`alignment`).
    weight_decay : float, optional
        Kolen-Pollack's decay wd (None: the rule's default).
    weight_decay_order : {"after", "before"}, default "after"
        Kolen-Pollack: ``after`` :math:`W \leftarrow (1 - \mathrm{lr\,wd})(W + \mathrm{lr}\,dW)`, ``before``
        (Akrout et al. 2019) :math:`W \leftarrow W + \mathrm{lr}\,dW - \mathrm{lr\,wd}\,W`; they differ by
        :math:`\mathrm{lr}^2\,\mathrm{wd}\,dW` per step.
    params : dict or tuple of (str, value), default ()
        The rule's parameters (``--param NAME=VALUE``), kept as sorted pairs.

    Raises
    ------
    ValueError
        An InputError naming the option and the problem.

    Examples
    --------
    >>> from linrbp.trainer import TrainConfig
    >>> cfg = TrainConfig(rule="srbp", dataset="teacher", hidden=(8, 8), error_bits=4)
    >>> cfg.depth, cfg.base_rule, cfg.batch_size, cfg.lr
    (3, 'srbp', 100, 0.1)
    >>> cfg.with_(seed=3).seed
    3
    >>> TrainConfig(rule="bp", feedback="uniform")
    Traceback (most recent call last):
    ...
    linrbp.InputError: feedback: rule bp has no feedback matrices to vary
    """

    rule: str = "bp"
    derivative: bool = True
    dataset: str = "fashion-mnist"
    data_dir: str | None = None
    data_seed: int = 0
    hidden: tuple = PAPER["hidden"]
    activation: str = PAPER["activation"]
    output: str = PAPER["output"]
    bias: bool = True
    epochs: int = PAPER["epochs"]
    batch_size: int = PAPER["batch_size"]
    lr: float = PAPER["lr"]
    lr_decay: float = PAPER["lr_decay"]
    limit_train: int | None = None
    limit_test: int | None = None
    seed: int = 0
    dtype: str = "float32"
    feedback: str = "gaussian"
    feedback_mean: float = 0.0
    feedback_sparsity: float | None = None
    resample: str = "none"
    hidden_update: str = "full"
    per_synapse: bool = False
    freeze_layer: int | None = None
    dropout: float = 0.0
    error_bits: int | None = None
    error_scale: str = "example"  # what q acts on: each example's delta_h, or delta_h / B
    update_bits: int | None = None
    align_examples: int = 1000
    weight_decay: float | None = None  # kolen-pollack only (None: the rule's default)
    # kolen-pollack: "after" W <- (1 - lr wd)(W + lr dW); "before" W <- W + lr dW - lr wd W
    # (Akrout et al. 2019's order); they differ by lr^2 wd dW per step
    weight_decay_order: str = "after"
    # the rule's parameters (linrbp.core._rules), e.g. (("weight_decay", 0.1),); `--param NAME=VALUE`
    params: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "hidden", tuple(int(n) for n in self.hidden))
        object.__setattr__(self, "params", _pairs(self.params))
        self.validate()

    @property
    def depth(self) -> int:
        return len(self.hidden) + 1

    @property
    def base_rule(self) -> str:
        if self.rule in FAMILY:
            return FAMILY[self.rule].base
        return "bp" if self.rule == "top-only" else self.rule

    def validate(self) -> None:
        def need(cond, msg):
            if not cond:
                raise InputError(msg)

        def posint(name, v, allow_none=False):
            if v is None and allow_none:
                return
            need(not isinstance(v, bool) and isinstance(v, int) and v >= 1,
                 f"{name}: expected a positive integer, got {v!r}")

        need(self.rule in TRAIN_RULES or self.rule in RULES,  # RULES: also rules registered later
             f"rule: unknown rule {self.rule!r} (expected one of {', '.join(dict.fromkeys(TRAIN_RULES + tuple(RULES)))})")
        need(self.activation in ACTIVATIONS, f"activation: expected one of {', '.join(ACTIVATIONS)}, got {self.activation!r}")
        need(self.output in OUTPUTS, f"output: expected one of {', '.join(OUTPUTS)}, got {self.output!r}")
        need(len(self.hidden) >= 1 and all(n >= 1 for n in self.hidden),
             f"hidden: expected one or more positive layer sizes, got {self.hidden!r}")
        posint("epochs", self.epochs)
        posint("batch-size", self.batch_size)
        posint("limit-train", self.limit_train, True)
        posint("limit-test", self.limit_test, True)
        posint("align-examples", self.align_examples)
        need(isinstance(self.seed, int) and not isinstance(self.seed, bool) and self.seed >= 0,
             f"seed: expected a non-negative integer, got {self.seed!r}")
        need(self.lr > 0 and self.lr < float("inf"), f"lr: expected a positive finite number, got {self.lr!r}")
        need(self.lr_decay >= 0, f"lr-decay: expected a non-negative number, got {self.lr_decay!r}")
        need(self.dtype in ("float32", "float64"), f"dtype: expected float32 or float64, got {self.dtype!r}")
        need(self.feedback in DISTRIBUTIONS, f"feedback: expected one of {', '.join(DISTRIBUTIONS)}, got {self.feedback!r}")
        need(self.feedback_mean == self.feedback_mean and abs(self.feedback_mean) < float("inf"),
             f"feedback-mean: expected a finite number, got {self.feedback_mean!r}")
        need(self.feedback_sparsity is None or 0 < self.feedback_sparsity <= 1,
             f"feedback-sparsity: expected a fraction in (0, 1], got {self.feedback_sparsity!r}")
        need(self.resample in RESAMPLING, f"resample: expected one of {', '.join(RESAMPLING)}, got {self.resample!r}")
        need(self.hidden_update in HIDDEN_UPDATES,
             f"hidden-update: expected one of {', '.join(HIDDEN_UPDATES)}, got {self.hidden_update!r}")
        need(0 <= self.dropout < 1, f"dropout: expected a probability in [0, 1), got {self.dropout!r}")
        for name in ("error_bits", "update_bits"):
            v = getattr(self, name)
            need(v is None or (isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 24),
                 f"{name.replace('_', '-')}: expected an integer in 1..24, got {v!r}")
        need(self.error_scale in ERROR_SCALES,
             f"error-scale: expected one of {', '.join(ERROR_SCALES)}, got {self.error_scale!r}")
        validate_family(self)
        _validate_params(self)
        direct = self.rule in RULES and self.rule not in FAMILY and self.rule != "top-only"
        uses_fb = direct and RULES[self.rule].uses_feedback
        fb_opts = (self.feedback != "gaussian" or self.feedback_mean != 0 or self.feedback_sparsity is not None
                   or self.resample != "none" or self.per_synapse)
        need(uses_fb or not fb_opts, f"feedback: rule {self.rule} has no feedback matrices to vary")
        need(self.resample == "none" or not RULES[self.base_rule].adaptive,
             f"resample: rule {self.rule} learns its feedback; resampling needs rbp or srbp")
        need(not self.per_synapse or self.rule == "srbp",
             "per-synapse: per-synapse feedback is defined for srbp only")
        need(not (self.per_synapse and self.resample == "sign-concordant"),
             "per-synapse: sign-concordant feedback has no per-synapse counterpart")
        need(self.rule != "top-only" or (self.hidden_update == "full" and self.freeze_layer is None),
             "rule: top-only trains no hidden layer; hidden-update/freeze-layer do not apply")
        need(self.update_bits is None or (self.hidden_update == "full" and not self.per_synapse),
             "update-bits: cannot be combined with hidden-update sign/abs or per-synapse feedback")
        need(self.freeze_layer is None or (isinstance(self.freeze_layer, int) and 1 <= self.freeze_layer <= self.depth),
             f"freeze-layer: expected a layer in 1..{self.depth}, got {self.freeze_layer!r}")

    def to_dict(self) -> dict:
        """The configuration as JSON-ready data (as recorded in every result).

        Returns
        -------
        dict
            Every field; ``hidden`` a list, ``params`` a dict.
        """
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        d["params"] = dict(self.params)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        """A configuration from :meth:`to_dict`'s form.

        Parameters
        ----------
        d : dict
            Field values.

        Returns
        -------
        TrainConfig

        Raises
        ------
        ValueError
            An InputError: an unknown field, or a value that does not validate.
        """
        names = {f.name for f in fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise InputError(f"config: unknown field(s) {', '.join(sorted(unknown))}")
        return cls(**d)

    def with_(self, **kw) -> "TrainConfig":
        """A copy with the given fields changed (validated again).

        Parameters
        ----------
        **kw
            Field values.

        Returns
        -------
        TrainConfig
        """
        return replace(self, **kw)


def _pairs(params) -> tuple:
    """A dict or pairs -> sorted ((name, value), ...); InputError for anything else."""
    if isinstance(params, dict):
        items = list(params.items())
    else:
        try:
            items = [tuple(p) for p in params]
        except TypeError:
            raise InputError(f"params: expected NAME=VALUE pairs, got {params!r}") from None
        if any(len(p) != 2 for p in items):
            raise InputError(f"params: expected NAME=VALUE pairs, got {params!r}")
    return tuple(sorted((str(k), v) for k, v in items))


def _validate_params(cfg) -> None:
    """``params`` of a registered rule: its own check (one line naming the parameter); a rule
    of the trainer's family takes the parameters of its defaults (weight_decay)."""
    from ._family import FAMILY, _check_decay

    params = dict(cfg.params)
    if not params:
        return
    if cfg.weight_decay is not None and "weight_decay" in params:
        raise InputError("param: give --weight-decay or --param weight_decay, not both")
    if cfg.rule == "top-only":
        raise InputError("param: rule top-only (the trainer's output-layer-only run) takes no parameters")
    fam = FAMILY.get(cfg.rule)
    if fam is None:
        RULES[cfg.rule].with_parameters(**params)
        return
    for name, v in params.items():
        if name not in fam.defaults:
            known = ", ".join(fam.defaults) or "none"
            raise InputError(f"{name}: rule {cfg.rule} has no parameter {name!r} (its parameters: {known})")
        _check_decay(v)
