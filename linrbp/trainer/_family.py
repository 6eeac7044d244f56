"""The wider family of learning rules in the trainer: one explicit registry.

Each entry says what a rule is (title, reference), how its backward pass is built (``kind``) and
which module implements it:

- ``feedback``: the backward pass is :func:`linrbp.backward_signals` of a chained rule
  (``base``) with feedback matrices C_h (N_h x N_{h+1}) that a provider in
  :mod:`._family_feedback` sets before each mini-batch and/or adapts after it;
- ``kickback``: a scalar global error instead of a backward pass (:mod:`._kickback`);
- ``target-prop``: layer targets through learned approximate inverses (:mod:`._target_prop`).

Defaults of each rule's own hyper-parameters are data (``defaults``), recorded in every result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core._errors import InputError

__all__ = ["FamilyRule", "FAMILY", "family_help", "family_rule", "family_variants", "validate_family", "weight_decay"]


@dataclass(frozen=True)
class FamilyRule:
    """One rule of the trainer's wider family (:data:`FAMILY`): what it is and how it is built.

    Parameters
    ----------
    name : str
        The name ``linrbp train --rule`` takes.
    summary : str
        One line for ``--help`` and the README.
    title : str
        What the rule does, in the theory page's notation.
    reference : str
        Where it comes from.
    kind : {"feedback", "kickback", "target-prop"}
        How its backward pass is built: feedback matrices set before (and/or adapted after) each
        mini-batch, a scalar global error, or layer targets through learned approximate inverses.
    base : str
        The rule of :data:`linrbp.RULES` whose backward pass (or update form) it uses.
    module : str
        The implementing module, relative to :mod:`linrbp.trainer`.
    defaults : dict, default {}
        Its own hyper-parameters' defaults (recorded in every result).

    Examples
    --------
    >>> from linrbp.trainer import FAMILY
    >>> kp = FAMILY["kolen-pollack"]
    >>> kp.kind, kp.base, kp.defaults
    ('feedback', 'arbp', {'weight_decay': 0.01})
    """
    name: str
    summary: str       # one line for --help and the README
    title: str         # what the rule does, in the theory page's notation
    reference: str
    kind: str          # feedback | kickback | target-prop
    base: str          # the linrbp.core._rules rule whose backward pass (or update form) it uses
    module: str        # implementing module (relative to linrbp.trainer)
    defaults: dict = field(default_factory=dict)


FAMILY: dict[str, FamilyRule] = {
    r.name: r
    for r in (
        FamilyRule("sign-symmetry", "feedback sign(A^T), magnitudes 1",
                   "feedback C_h = sign(A_{h+1}^T), magnitudes 1",
                   "Liao, Leibo & Poggio 2016", "feedback", "rbp", "._family_feedback"),
        FamilyRule("usf", "uSF: sign(A^T) times a uniform (Glorot) scale",
                   "uniform sign-concordant feedback: sign(A_{h+1}^T) times the Glorot scale",
                   "Moskovitz et al. 2018; BioTorch, Sanfiz & Akrout 2021", "feedback", "rbp",
                   "._family_feedback"),
        FamilyRule("brsf", "brSF: sign(A^T), random magnitudes redrawn every batch",
                   "batchwise random-magnitude sign-concordant feedback: |N(0, s^2)| "
                   "redrawn every mini-batch, signs of A_{h+1}^T",
                   "Moskovitz et al. 2018; BioTorch, Sanfiz & Akrout 2021", "feedback", "rbp",
                   "._family_feedback"),
        FamilyRule("frsf", "frSF: sign(A^T), fixed random magnitudes",
                   "fixed random-magnitude sign-concordant feedback: |N(0, s^2)| drawn "
                   "once, signs of the current A_{h+1}^T",
                   "Moskovitz et al. 2018; BioTorch, Sanfiz & Akrout 2021", "feedback", "rbp",
                   "._family_feedback"),
        FamilyRule("kolen-pollack", "Kolen-Pollack: feedback gets A's transposed update + same decay",
                   "C_h gets the transposed update of A_{h+1} "
                   "(dC_h = O_h delta_{h+1}^T) and the same weight decay, so C_h - A_{h+1}^T "
                   "shrinks by (1 - lr wd) every step",
                   "Kolen & Pollack 1994; Akrout et al. 2019", "feedback", "arbp",
                   "._family_feedback", {"weight_decay": 0.01}),
        FamilyRule("weight-mirror", "weight mirrors: feedback learns A^T from injected noise",
                   "after each mini-batch a mirror phase: noise x ~ N(0, 1) "
                   "injected at layer h, C_h <- (1 - eta) C_h + eta x (A_{h+1} x)^T "
                   "(batch mean), whose fixed point is A_{h+1}^T",
                   "Akrout et al. 2019", "feedback", "rbp", "._family_feedback",
                   {"mirror_lr": 0.05, "mirror_batch": 100}),
        FamilyRule("kickback", "Kickback: scalar global error x summed outgoing weights",
                   "regression on +-1 targets, one linear output, ReLU units tagged "
                   "+/-: delta_j = beta * f'_j * sum_k A_{h+1}[k, j] with the scalar global "
                   "error beta = t - y", "Balduzzi, Vanchinathan & Buhmann 2015", "kickback",
                   "bp", "._kickback"),
        FamilyRule("dtp", "difference target propagation",
                   "difference target propagation: penultimate target by a gradient step, "
                   "lower targets h_{l-1} + g_l(tau_l) - g_l(h_l) through learned inverses",
                   "Lee, Zhang, Fischer & Bengio 2015; Bartunov et al. 2018", "target-prop", "rbp",
                   "._target_prop", {"target_lr": 1.0, "inverse_lr": 0.3, "noise": 0.1}),
        FamilyRule("sdtp", "simplified DTP (no gradient anywhere)",
                   "simplified DTP: the penultimate target also from the difference rule "
                   "(through an inverse of the output layer), no gradient anywhere",
                   "Bartunov et al. 2018", "target-prop", "rbp", "._target_prop",
                   {"target_lr": 1.0, "inverse_lr": 0.3, "noise": 0.1}),
        FamilyRule("ao-sdtp", "SDTP with auxiliary output units",
                   "SDTP with an auxiliary output: tanh(R h_{L-1}) (R fixed random) "
                   "appended to the output so the top inverse carries more information",
                   "Bartunov et al. 2018", "target-prop", "rbp", "._target_prop",
                   {"target_lr": 1.0, "inverse_lr": 0.3, "noise": 0.1, "aux_units": 100}),
    )
}

# options of the BSL-variant machinery that the family rules do not define
_UNSUPPORTED = {"hidden_update": "full", "per_synapse": False, "update_bits": None, "freeze_layer": None}
_NO_CHANNEL = {"derivative": True, "dropout": 0.0, "error_bits": None}


def family_variants() -> dict:
    """The ``family`` experiment set: every family rule defined on the data set's classification
    task, next to the baselines. Kickback is left out: it is defined for one output (+-1
    regression), not for a ten-class softmax network (see ``--dataset teacher-binary``)."""
    names = ("bp", "rbp", "srbp", "top-only") + tuple(n for n, r in FAMILY.items() if r.kind != "kickback")
    return {n: {"rule": n} for n in names}


def family_help() -> str:
    """One line per family rule: name, summary, reference."""
    return "\n".join(f"  {n:<14} {r.summary} ({r.reference})" for n, r in FAMILY.items())


def family_rule(name: str) -> FamilyRule | None:
    return FAMILY.get(name)


def validate_family(cfg) -> None:
    """Reject options that a family rule does not define (one line, naming the option)."""
    r = FAMILY.get(cfg.rule)
    order = getattr(cfg, "weight_decay_order", "after")
    if order not in ("after", "before"):
        raise InputError(f"weight-decay-order: expected after or before, got {order!r}")
    if order != "after" and (r is None or "weight_decay" not in r.defaults):
        raise InputError(f"weight-decay-order: only kolen-pollack has a weight decay, not rule {cfg.rule}")
    if cfg.weight_decay is not None:
        from ..core._rules import RULES
        direct = RULES.get(cfg.rule) if r is None and cfg.rule != "top-only" else None
        if direct is not None and "weight_decay" in direct.parameter_names:
            _check_decay(cfg.weight_decay)  # a registered rule's -lambda A_h (linrbp.core._rules)
        elif r is None or "weight_decay" not in r.defaults:
            raise InputError(f"weight-decay: rule {cfg.rule} has no weight decay")
        else:
            _check_decay(cfg.weight_decay)
    if r is None:
        return
    opts = dict(_UNSUPPORTED, **(_NO_CHANNEL if r.kind != "feedback" else {}))
    for name, default in opts.items():
        if getattr(cfg, name) != default:
            raise InputError(f"{name.replace('_', '-')}: not defined for rule {cfg.rule}")
    if r.kind == "kickback" and (cfg.activation != "relu" or cfg.output != "linear"):
        raise InputError("rule: kickback is defined for rectilinear units and a linear output; "
                         "use --activation relu --output linear")
    if r.kind == "target-prop" and cfg.activation == "relu":
        raise InputError("activation: target propagation needs invertible units (tanh, logistic, linear)")


def _check_decay(v) -> None:
    if isinstance(v, bool) or not (isinstance(v, (int, float)) and 0 <= v < float("inf")):
        raise InputError(f"weight-decay: expected a non-negative number, got {v!r}")


def weight_decay(cfg) -> float:
    """The configured decay, else the rule's default (0 for rules without one)."""
    if cfg.weight_decay is not None:
        return float(cfg.weight_decay)
    given = dict(getattr(cfg, "params", ()) or ())
    if "weight_decay" in given:
        return float(given["weight_decay"])
    r = FAMILY.get(cfg.rule)
    return float(r.defaults.get("weight_decay", 0.0)) if r else 0.0
