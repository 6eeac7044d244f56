"""A rule of your own for `linrbp ... --rules docs/examples/drift_rule.py` (docs/sweep.md).

RBP whose feedback drifts toward the forward weights: dC_h/dt = kappa A_{h+1}^T, with the
rate kappa a parameter (`--param kappa=VALUE`, or `"kappa": VALUE` in an instance file).
"""

import linrbp
from linrbp import Parameter, Rule, transpose

KAPPA = Parameter("kappa", 1.0, "rate of the feedback's drift toward A_{h+1}^T", "kappa", 0.0)

linrbp.register_rule(Rule(
    "feedback-drift", channel="feedback", source="next", adaptive=True, learning="none",
    title="RBP with feedback drifting toward A^T", parameters=(KAPPA,),
    feedback_drift=lambda h, A, C, p: transpose(A[h + 1]) * p["kappa"],
))
