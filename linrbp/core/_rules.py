"""The learning rules of THEORY.md section 0, stated once.

Every rule updates layer h by ``dA_h = eta * delta_h O_{h-1}^T`` with ``delta_L = T - O``;
the rules differ only in how the backward signal ``delta_h`` (h < L) is formed:

=======  =========================================  ===================
rule     delta_h                                    feedback C_h shape
=======  =========================================  ===================
bp       A_{h+1}^T delta_{h+1}                      none
rbp      C_h delta_{h+1}                            N_h x N_{h+1}
srbp     C_h delta_L                                N_h x N_L
arbp     as rbp;  dC_h = eta * O_h delta_{h+1}^T    N_h x N_{h+1}
asrbp    as srbp; dC_h = eta * O_h delta_L^T        N_h x N_L
=======  =========================================  ===================

:func:`backward_signals` and :func:`updates` are written against the matrix protocol
(``@``, transpose, elementwise product) shared by numpy arrays (with any leading batch
axes) and sympy matrices, so the averaged ODE (``linrbp.core._field``), the symbolic
derivation and the non-linear trainer all run this one statement of each rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from ._errors import InputError

__all__ = ["Rule", "RULES", "get_rule", "feedback_shapes", "backward_signals", "updates"]


@dataclass(frozen=True)
class Rule:
    """How a rule forms its backward signal.

    ``channel``: ``"transpose"`` (A_{h+1}^T, i.e. BP) or ``"feedback"`` (fixed or adaptive C_h).
    ``source``: ``"next"`` (delta_{h+1}, a chain of backward steps) or ``"top"``
    (delta_L sent straight from the output, the skipped rules).
    ``adaptive``: whether C_h learns, dC_h = eta * O_h (source signal)^T.
    """

    name: str
    channel: str
    source: str
    adaptive: bool
    title: str
    reference: str

    @property
    def uses_feedback(self) -> bool:
        return self.channel == "feedback"


RULES: dict[str, Rule] = {
    r.name: r
    for r in (
        Rule("bp", "transpose", "next", False, "backpropagation",
             "Rumelhart, Hinton & Williams 1986"),
        Rule("rbp", "feedback", "next", False, "random backpropagation (feedback alignment)",
             "Lillicrap et al. 2016; [BSL] section 3"),
        Rule("srbp", "feedback", "top", False, "skipped RBP (direct feedback alignment)",
             "Nokland 2016; [BSL] section 3"),
        Rule("arbp", "feedback", "next", True, "adaptive RBP",
             "[BSL] section 3"),
        Rule("asrbp", "feedback", "top", True, "adaptive skipped RBP",
             "[BSL] section 3"),
    )
}


def get_rule(rule: str | Rule) -> Rule:
    """Look a rule up by name (``bp``, ``rbp``, ``srbp``, ``arbp``, ``asrbp``)."""
    if isinstance(rule, Rule):
        return rule
    try:
        return RULES[str(rule).lower()]
    except KeyError:
        raise InputError(
            f"rule: unknown rule {rule!r} (expected one of {', '.join(RULES)})"
        ) from None


def feedback_shapes(layers: Sequence[int], rule: str | Rule) -> list[tuple[int, int]]:
    """Shapes of C_1..C_{L-1}: N_h x N_{h+1} (chained rules) or N_h x N_L (skipped)."""
    r = get_rule(rule)
    if not r.uses_feedback:
        return []
    L = len(layers) - 1
    if r.source == "next":
        return [(layers[h], layers[h + 1]) for h in range(1, L)]
    return [(layers[h], layers[L]) for h in range(1, L)]


def _transpose(x):
    # numpy arrays may carry leading batch axes; sympy matrices have .T only.
    return x.swapaxes(-1, -2) if hasattr(x, "swapaxes") else x.T


def _hadamard(x, y):
    return x.multiply_elementwise(y) if hasattr(x, "multiply_elementwise") else x * y


def backward_signals(
    rule: str | Rule,
    weights: Sequence,
    feedback: Sequence,
    delta_top,
    derivatives: Sequence | None = None,
    transform: Callable | None = None,
) -> list:
    """delta_1..delta_L (0-based list) for one rule.

    ``weights`` are A_1..A_L, ``feedback`` C_1..C_{L-1}, ``delta_top`` = delta_L (columns are
    examples; any matrix linear in the error works, e.g. E(P) for the averaged field).
    ``derivatives[h]``, when given, multiplies delta_{h+1} (0-based h) elementwise by
    f'(S_{h+1}); omit it for linear networks or the "no f'" variants.
    ``transform(h, signal)``, when given, is applied to the signal arriving at each hidden
    layer, before the derivative and before it is used or sent further down (the trainer's
    hook for quantised error signals and learning-channel dropout).
    """
    r = get_rule(rule)
    L = len(weights)
    deltas = [None] * L
    deltas[L - 1] = delta_top
    for h in range(L - 2, -1, -1):
        src = deltas[h + 1] if r.source == "next" else delta_top
        back = _transpose(weights[h + 1]) if r.channel == "transpose" else feedback[h]
        d = back @ src
        if transform is not None:
            d = transform(h, d)
        if derivatives is not None and derivatives[h] is not None:
            d = _hadamard(d, derivatives[h])
        deltas[h] = d
    return deltas


def updates(rule: str | Rule, deltas: Sequence, activities: Sequence):
    """Per-example (or summed over columns) updates of one rule.

    ``activities`` are O_0..O_L (O_0 = input), columns are examples. Returns
    ``(dA, dC)``: dA_h = delta_h O_{h-1}^T, and for adaptive rules
    dC_h = O_h (source signal)^T with source delta_{h+1} (arbp) or delta_L (asrbp);
    dC is ``[]`` for non-adaptive rules.
    """
    r = get_rule(rule)
    L = len(deltas)
    dA = [deltas[h] @ _transpose(activities[h]) for h in range(L)]
    dC = []
    if r.adaptive:
        for h in range(L - 1):
            src = deltas[h + 1] if r.source == "next" else deltas[L - 1]
            dC.append(activities[h + 1] @ _transpose(src))
    return dA, dC
