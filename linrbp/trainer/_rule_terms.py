"""The registered rule a trainer run uses, and its data-independent terms in the SGD step.

A rule named directly (bp, rbp, srbp, arbp, asrbp, or one a researcher registered with
:func:`linrbp.register_rule`) trains with the statement in :mod:`linrbp.core._rules`: the
backward pass and data terms as always, plus the drifts W_h, D_h (e.g. weight decay
-lambda A_h) added to the batch-mean update, so one SGD step is A_h += lr (mean data term + W_h).
Family rules (kolen-pollack, weight-mirror, sign-symmetry, ...) keep their own modules.
"""

from __future__ import annotations

from ..core._rules import check_rule, get_rule
from ..core._rule_run import drifts

__all__ = ["trainer_rule", "add_drifts"]


def trainer_rule(cfg, layers):
    """The Rule of ``cfg.base_rule`` checked on ``layers``, with ``cfg.weight_decay`` and
    ``cfg.params`` set when the run names a registered rule directly."""
    from ._family import FAMILY

    r = get_rule(cfg.base_rule)
    if cfg.rule not in FAMILY and cfg.rule != "top-only" and getattr(cfg, "weight_decay", None) is not None:
        r = r.with_parameters(weight_decay=cfg.weight_decay)
    if cfg.rule not in FAMILY and cfg.rule != "top-only" and getattr(cfg, "params", ()):
        r = r.with_parameters(**dict(cfg.params))  # --param NAME=VALUE
    return check_rule(r, layers)


def add_drifts(rule, dA, dC, weights, feedback, trained, state=None):
    """Batch-mean updates plus the rule's drifts (per unit learning rate); None -> 0 for C.
    ``state``: the rule's extra state (flat), which its drifts may read."""
    W, D = drifts(rule, weights, feedback, state)
    dA = [a if (w is None or h not in trained) else (w if a is None else a + w)
          for h, (a, w) in enumerate(zip(dA, W))]
    out_C = []
    for h, c in enumerate(dC):
        d = D[h] if h < len(D) else None
        if c is None:
            c = d if d is not None else feedback[h] * 0
        elif d is not None:
            c = c + d
        out_C.append(c)
    return dA, out_C
