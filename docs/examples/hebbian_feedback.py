"""A flow that does not settle: feedback that learns Hebbian-style from the forward weights.

C_h follows the mean Hebbian update of the weight mirror's probe phase (white noise xi_h at layer
h, dC_h ~ xi_h (A_{h+1} xi_h)^T, mean A_{h+1}^T) without the mirror's decay:

    dA_h/dt = RBP field with feedback C_h,      dC_h/dt = hebbian_rate * A_{h+1}^T.

P still reaches P* (the feedback turns towards A_{h+1}^T), but C_h never stops: once A settles,
C_h grows linearly in t, so ``linrbp simulate`` ends at time-limit or step-limit and reports
the growth |C_h| ~ t^1. Load with ``--rules docs/examples/hebbian_feedback.py``.
"""

import linrbp
from linrbp.core._rules import transpose


def hebbian_drift(h, A, C, p):
    """D_h = hebbian_rate * A_{h+1}^T."""
    return transpose(A[h + 1]) * p["hebbian_rate"]


HEBBIAN = linrbp.register_rule(linrbp.Rule(
    "hebbian-feedback", "feedback", "next", True, "RBP with Hebbian feedback learning (no decay)",
    "linrbp docs/examples/hebbian_feedback.py", learning="none", feedback_drift=hebbian_drift,
    parameters=(linrbp.Parameter("hebbian_rate", 0.1, "rate of the Hebbian feedback term", "kappa_H"),),
    equations="dA_h/dt = RBP field; dC_h/dt = kappa_H A_{h+1}^T"), replace_existing=True)
