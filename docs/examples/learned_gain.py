"""A rule with extra state: random feedback with a learned scalar gain per hidden layer.

B_h = g_h C_h with C_h fixed and random, and the gain g_h learned from the same data term an
adaptive C_h would learn from, projected on C_h:

    dg_h = eta * ( <C_h, O_h delta_{h+1}^T>  -  gain_decay * g_h ),

so g_h grows while C_h's direction carries the error usefully and the rule is RBP at g_h = 1.
Load it with ``--rules docs/examples/learned_gain.py`` (simulate, derive, train) or import it;
an instance file sets the gains with ``"state": {"g": [1.0]}`` (default 1 per layer).
"""

import linrbp


def gain_backward(h, A, C, p):
    """B_h = g_h C_h."""
    return C[h] * p["g"][h]


def gain_learning(h, A, C, p, G):
    """<C_h, O_h s_h^T>: linear in the data term G.feedback(h) = O_h delta_{h+1}^T."""
    return linrbp.inner(C[h], G.feedback(h))


def gain_drift(h, A, C, p):
    """-gain_decay * g_h (None at 0: no term)."""
    lam = p["gain_decay"]
    return None if lam == 0 else p["g"][h] * (-lam)


LEARNED_GAIN = linrbp.register_rule(linrbp.Rule(
    "learned-gain", "custom", "next", False, "RBP with a learned scalar gain on each feedback matrix",
    "linrbp docs/examples/learned_gain.py", feedback="next", backward=gain_backward,
    parameters=(linrbp.Parameter("gain_decay", 0.0, "decay of the gains: -gain_decay g_h in dg_h/dt",
                                 "mu_g"),),
    state=(linrbp.StateVariable("g", learning=gain_learning, drift=gain_drift, initial=1.0,
                                doc="the gain of B_h = g_h C_h"),),
    equations="dA_h/dt = g_h C_h ... E F_{h-1}^T; dg_h/dt = <C_h, F_h E^T (chain)^T> - mu_g g_h"),
    replace_existing=True)


def gains(system, y, t):
    """The observable ``gain``: g_h per hidden layer (one number for one hidden layer)."""
    g = [float(X[0, 0]) for X in system.unpack_state(y)]
    return g[0] if len(g) == 1 else g


linrbp.register_observable("gain", gains, replace_existing=True)
