"""Learning rules as data: one :class:`Rule` statement per rule, a registry of named rules.

Every rule updates layer h of A[N0, ..., NL] by the per-example step (docs/theory.md section 0)

    dA_h = eta * ( delta_h O_{h-1}^T  +  W_h(A, C) ),         delta_L = T - O,
    delta_h = B_h(A, C) s_h,   s_h = delta_{h+1} (source "next") or delta_L (source "top"),

and, when its feedback C_h is learned (``adaptive``),

    dC_h = eta * ( [error learning] O_h s_h^T  +  D_h(A, C) ).

A :class:`Rule` states the pieces: the backward matrix B_h (``channel``/``backward``), the
source s_h, whether C_h learns from the error (``learning``), the data-independent drifts
W_h and D_h (``weight_drift``/``feedback_drift``: weight decay, weight mirrors, ...), whether
the hidden layers train at all, and its named parameters (``lambda`` = ``weight_decay``,
``kappa`` = ``mirror_rate``, ...). :func:`register_rule` makes a rule known by name; the
built-in rules below are registrations like any other:

=============  ==============================================  =====================
rule           delta_h (h < L), feedback learning, drifts       feedback C_h shape
=============  ==============================================  =====================
bp             A_{h+1}^T delta_{h+1}                            none
rbp            C_h delta_{h+1}                                  N_h x N_{h+1}
srbp           C_h delta_L                                      N_h x N_L
arbp           as rbp;  dC_h = eta * O_h delta_{h+1}^T          N_h x N_{h+1}
asrbp          as srbp; dC_h = eta * O_h delta_L^T              N_h x N_L
kolen-pollack  as arbp, plus -lambda A_h and -lambda C_h         N_h x N_{h+1}
weight-mirror  as rbp; dC_h/dt = kappa (A_{h+1}^T - C_h)         N_h x N_{h+1}
sign-symmetry  sign(A_{h+1}^T) delta_{h+1}                       none (a function of A)
usf            s_h sign(A_{h+1}^T) delta_{h+1}, s_h Glorot        none (a function of A)
top-only       hidden layers frozen: dA_h = 0 for h < L          none
=============  ==============================================  =====================

bp, rbp, srbp, arbp and asrbp take a ``weight_decay`` lambda >= 0 too (default 0: the rules
of [BSL]); on adaptive rules it decays C_h as well.

:func:`~linrbp.backward_signals`, :func:`~linrbp.updates` and :func:`~linrbp.drifts`
(:mod:`linrbp.core._rule_run`) are written against the matrix protocol (``@``, transpose, elementwise product, sign) shared by numpy arrays (with any
leading batch axes) and sympy matrices, so the averaged ODE (``linrbp.core._field``), the
symbolic derivation and the non-linear trainer all run this one statement of each rule.
A rule's own functions must use the same protocol: :func:`transpose` and :func:`sign` (not
``.T`` or ``np.sign``) work on both.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields, replace
from typing import Callable, Sequence

from ._errors import InputError
from ._matrix import _is_symbolic, nearest, sign, transpose
from ._state import (DataTerms, StateVariable, check_state_statement, inner, state_layers, state_shapes,
                     state_values)

# transpose, sign, nearest (the matrix protocol, ._matrix) and StateVariable, inner, state_shapes
# (._state) are re-exported: a rule file needs only this module. The rule run on matrices
# (backward_signals, updates, drifts, averaged_velocity) is ._rule_run.
__all__ = ["Rule", "Parameter", "RULES", "BSL_RULES", "get_rule", "register_rule", "feedback_shapes",
           "check_rule", "transpose", "sign", "nearest", "StateVariable", "inner", "state_shapes"]


# -- parameters ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Parameter:
    r"""A named, numeric parameter of a rule (weight decay :math:`\lambda`, mirror rate :math:`\kappa`, ...).

    A rule lists its parameters in :class:`Rule` ``parameters``; their values are set by
    :meth:`Rule.with_parameters` (or an instance file's key ``name``) and checked here, and the
    rule's functions read them as ``p[name]``.

    Parameters
    ----------
    name : str
        The instance-file key and keyword of :meth:`Rule.with_parameters` (``"weight_decay"``).
    default : float
        The value when none is set.
    doc : str
        The one-line meaning shown in the docs and in error messages.
    symbol : str, optional
        The symbol of docs/theory.md (``"lambda"``), used for the sympy symbol of a symbolic
        derivation (:meth:`Rule.symbolic`); default: ``name``.
    minimum, maximum : float, optional
        The closed range of allowed values (default :math:`[0, \infty)`); a value outside, a
        non-finite one or a non-number is an :class:`InputError`. Sympy expressions pass
        unchecked (symbolic derivations).

    Examples
    --------
    >>> import linrbp
    >>> gain = linrbp.Parameter("gain", 1.0, "feedback gain g: B_h = g C_h", "g", minimum=0.0, maximum=10.0)
    >>> rule = linrbp.Rule("gain-rbp", channel="custom", feedback="next", parameters=(gain,),
    ...                    backward=lambda h, A, C, p: C[h] * p["gain"])
    >>> rule.with_parameters(gain=2.5).parameter_values
    {'gain': 2.5}
    >>> rule.with_parameters(gain=20)
    Traceback (most recent call last):
    ...
    linrbp.InputError: gain: rule gain-rbp expects a finite number >= 0 and <= 10, got 20
    """

    name: str
    default: float
    doc: str
    symbol: str = ""
    minimum: float = 0.0
    maximum: float = math.inf

    def check(self, value, rule: str):
        if _is_symbolic(value):
            return value
        exact = hasattr(value, "free_symbols")  # a sympy number stays exact
        if isinstance(value, (bool, str)) or not (isinstance(value, (int, float)) or hasattr(value, "__float__")):
            raise InputError(f"{self.name}: rule {rule} expects a number, got {value!r}")
        try:
            v = float(value)
        except (TypeError, ValueError, OverflowError):
            raise InputError(f"{self.name}: rule {rule} expects a real number, got {value!r}") from None
        if not (math.isfinite(v) and self.minimum <= v <= self.maximum):
            hi = "" if self.maximum == math.inf else f" and <= {self.maximum:g}"
            raise InputError(f"{self.name}: rule {rule} expects a finite number >= {self.minimum:g}{hi}, "
                             f"got {value!r}")
        return value if exact else v


WEIGHT_DECAY = Parameter("weight_decay", 0.0, "weight decay lambda: -lambda A_h in every dA_h/dt "
                         "(and -lambda C_h in dC_h/dt when C_h learns)", "lambda")
MIRROR_RATE = Parameter("mirror_rate", 1.0, "weight-mirror rate kappa: dC_h/dt = kappa (A_{h+1}^T - C_h)",
                        "kappa")

_NAME = re.compile(r"^[a-z][a-z0-9_.-]*$")
_CHANNELS = ("transpose", "feedback", "weights", "custom")
_SOURCES = ("next", "top")
_LEARNING = ("error", "none")
_FEEDBACK = ("next", "top", None)


# -- the rule statement ----------------------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    r"""A learning rule, stated as data: the pieces of the per-example update of docs/theory.md section 0.

    Every rule updates layer :math:`h` of :math:`A[N_0, \dots, N_L]` by
    :math:`\Delta A_h = \eta\,(\delta_h O_{h-1}^T + W_h(A, C))` with :math:`\delta_L = T - O`,
    :math:`\delta_h = B_h(A, C)\, s_h` and, when its feedback is learned,
    :math:`\Delta C_h = \eta\,([\text{error learning}]\; O_h s_h^T + D_h(A, C))`; a rule states
    :math:`B_h`, the source :math:`s_h`, the drifts :math:`W_h, D_h` and its parameters (the
    rules page, docs/rules.md, tabulates the built-in ones). Register a rule with
    :func:`register_rule` to use it by name; :func:`check_rule` tests a statement on given layers.

    The functions ``backward``, ``weight_drift`` and ``feedback_drift`` receive ``(h, A, C, p)``:
    the layer ``h`` (hidden layers 1..L-1; ``weight_drift``: 1..L), the 1-based lists
    ``A = [None, A_1, ..., A_L]`` and ``C = [None, C_1, ..., C_{L-1}]`` (docs/theory.md indices)
    and the parameter values ``p`` (a dict). They use the matrix protocol (``@``, ``+``,
    scalars, :func:`transpose`, :func:`sign`: never ``.T`` or ``np.sign``) so that one statement
    runs on numpy batches, sympy matrices and torch tensors, and return a matrix: ``backward``
    :math:`B_h` (:math:`N_h \times N_{h+1}` or :math:`N_h \times N_L`), ``weight_drift``
    :math:`W_h` (the shape of :math:`A_h`), ``feedback_drift`` :math:`D_h` (the shape of
    :math:`C_h`); a drift may return None for "no term".

    Parameters
    ----------
    name : str
        The registry name: lower case letters, digits and ``_.-``, starting with a letter.
    channel : {"feedback", "transpose", "weights", "custom"}, optional
        How :math:`B_h` is formed: :math:`C_h` (default), :math:`A_{h+1}^T` (BP), or the
        function ``backward`` (``"weights"``: a function of :math:`A` only, ``"custom"``: any).
    source : {"next", "top"}, optional
        The signal :math:`s_h` sent down: :math:`\delta_{h+1}` (``"next"``, default: a chain of
        backward steps) or :math:`\delta_L` (``"top"``: the skipped rules).
    adaptive : bool, optional
        Whether :math:`C_h` is part of the state and evolves (default False: fixed feedback).
    title, reference : str, optional
        A one-line description and where the rule comes from (shown by ``linrbp rules``).
    learning : {"error", "none"}, optional
        For adaptive rules: whether :math:`\Delta C_h` contains :math:`O_h s_h^T` (``"error"``,
        as ARBP) or only the drift ``feedback_drift`` (``"none"``, e.g. weight mirrors).
        Default: ``"error"`` when adaptive, ``"none"`` otherwise.
    feedback : {"next", "top", None}, optional
        Which :math:`C_h` exist: :math:`N_h \times N_{h+1}` (``"next"``), :math:`N_h \times N_L`
        (``"top"``) or none. Default: ``source`` for ``channel="feedback"``, else None.
    trains_hidden : bool, optional
        False freezes :math:`A_1, \dots, A_{L-1}` (their :math:`dA_h/dt = 0`; top-only).
        Default True.
    parameters : tuple of Parameter, optional
        The rule's named parameters (default none).
    values : tuple of (str, value) pairs, optional
        Values set for the parameters; normally left empty and set by
        :meth:`Rule.with_parameters` (defaults otherwise).
    backward : callable, optional
        ``backward(h, A, C, p)`` returns :math:`B_h` (channels ``"weights"`` and ``"custom"``).
    weight_drift : callable, optional
        ``weight_drift(h, A, C, p)`` returns :math:`W_h` or None.
    feedback_drift : callable, optional
        ``feedback_drift(h, A, C, p)`` returns :math:`D_h` or None (adaptive rules).
    equations : str, optional
        The averaged equations in words, for the rules page and ``linrbp rules``.
    state : tuple of StateVariable, optional
        Further state of the rule (a learned gain :math:`g_h`, ...): each has its own update, and
        the functions above read its values as ``p[name][h]``.

    Examples
    --------
    The built-in SRBP, and a rule of one's own whose feedback is :math:`\tfrac12 A_{h+1}^T`:

    >>> import linrbp
    >>> srbp = linrbp.get_rule("srbp")
    >>> srbp.channel, srbp.source, srbp.feedback, srbp.adaptive
    ('feedback', 'top', 'top', False)
    >>> half = linrbp.Rule("half-bp", channel="weights", title="B_h = A_{h+1}^T / 2",
    ...                    backward=lambda h, A, C, p: linrbp.transpose(A[h + 1]) * 0.5)
    >>> half.feedback is None, linrbp.check_rule(half, [2, 3, 1]).name
    (True, 'half-bp')
    """

    name: str
    channel: str = "feedback"
    source: str = "next"
    adaptive: bool = False
    title: str = ""
    reference: str = ""
    learning: str | None = None
    feedback: str | None = "default"
    trains_hidden: bool = True
    parameters: tuple = ()
    values: tuple = ()
    backward: Callable | None = None
    weight_drift: Callable | None = None
    feedback_drift: Callable | None = None
    equations: str = ""
    state: tuple = ()

    def __post_init__(self):
        if self.learning is None:
            object.__setattr__(self, "learning", "error" if self.adaptive else "none")
        if self.feedback == "default":
            object.__setattr__(self, "feedback", self.source if self.channel == "feedback" else None)
        object.__setattr__(self, "parameters", tuple(self.parameters))
        object.__setattr__(self, "values", tuple(self.values))
        object.__setattr__(self, "state", tuple(self.state))

    # -- derived facts ---------------------------------------------------------------------
    @property
    def uses_feedback(self) -> bool:
        """Whether the rule has feedback matrices C_h (fixed, or in the state when adaptive)."""
        return self.feedback is not None

    @property
    def learns_from_error(self) -> bool:
        return self.adaptive and self.learning == "error"

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    @property
    def parameter_values(self) -> dict:
        """The value of every parameter, ``{name: value}`` (the default where none was set)."""
        out = {p.name: p.default for p in self.parameters}
        out.update(dict(self.values))
        return out

    def with_parameters(self, **values) -> "Rule":
        """This rule with some parameters set; InputError names an unknown key or a bad value."""
        known = {p.name: p for p in self.parameters}
        new = dict(self.values)
        for key, v in values.items():
            if key not in known:
                have = f"known: {', '.join(known)}" if known else "it has no parameters"
                raise InputError(f"{key}: rule {self.name} has no parameter {key!r}"
                                 f"{nearest(key, known)} ({have})")
            new[key] = known[key].check(v, self.name)
        return replace(self, values=tuple(sorted(new.items())))

    def symbolic(self, *names: str) -> "Rule":
        """This rule with the named parameters (default: all) as sympy symbols (their docs/theory.md
        names: lambda, kappa, ...), for derivations; the others keep their values."""
        import sympy

        names = names or self.parameter_names
        self.with_parameters(**{n: 0 for n in names if n not in self.parameter_names})  # names them
        sym = {p.name: sympy.Symbol(p.symbol or p.name, nonnegative=p.minimum >= 0, real=True)
               for p in self.parameters if p.name in names}
        return replace(self, values=tuple(sorted({**dict(self.values), **sym}.items())))

    def backward_matrix(self, h: int, A: list, C: list, p: dict | None = None):
        """B_h: the matrix that carries the source signal to hidden layer h (1-based)."""
        p = self.parameter_values if p is None else p
        if self.backward is not None:
            return _call(self, "the backward matrix B_h", self.backward, h, A, C, p, False)
        if self.channel == "transpose":
            return transpose(A[h + 1])
        return C[h]

    def __str__(self) -> str:
        return self.name

    def __reduce__(self):
        # A rule travels to worker processes and Dask workers inside a LinearSystem. Functions
        # of an importable module (the built-in rules') travel by reference; lambdas, closures
        # and the functions of a researcher's rule file (which a worker has not imported) by
        # value, serialised with cloudpickle.
        state = {f.name: getattr(self, f.name) for f in fields(self)}
        fns = [state[k] for k in ("backward", "weight_drift", "feedback_drift") if state[k] is not None]
        if all(_by_reference(f) for f in fns):
            return (_rebuild_rule, (state,))
        import cloudpickle
        return (_rule_from_bytes, (cloudpickle.dumps(state),))


def _by_reference(fn) -> bool:
    """Whether plain pickle can send ``fn`` to any worker: a function of a linrbp module that
    is reachable there under its own name."""
    import sys

    mod = getattr(fn, "__module__", None) or ""
    if not (mod == "linrbp" or mod.startswith("linrbp.")):
        return False
    obj = sys.modules.get(mod)
    for part in getattr(fn, "__qualname__", "<lambda>").split("."):
        obj = getattr(obj, part, None)
    return obj is fn


def _rebuild_rule(state: dict) -> "Rule":
    return Rule(**state)


def _rule_from_bytes(data: bytes) -> "Rule":
    import pickle

    return Rule(**pickle.loads(data))


_PROTOCOL = ("a rule's functions use the matrix protocol: @, +, -, scalars and "
             "linrbp.core._rules.transpose / sign, which work on numpy arrays (with batch axes) and "
             "sympy matrices; not .T, np.sign or other numpy functions")


def _call(rule: Rule, what: str, fn, h: int, A, C, p, may_be_none: bool):
    """``fn(h, A, C, p)``, a function of a rule statement: InputError naming the rule, the
    function and the layer when it raises, or returns None where a matrix is needed."""
    try:
        M = fn(h, A, C, p)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - a rule's own code failing is its author's input
        symbolic = any(hasattr(m, "applyfunc") for m in list(A) + list(C) if m is not None)
        hint = f" ({_PROTOCOL})" if symbolic or isinstance(exc, (TypeError, AttributeError)) else ""
        raise InputError(f"rule {rule.name}: {what} of layer {h} raised {type(exc).__name__}: "
                         f"{' '.join(str(exc).split())}{hint}") from None
    if M is None and not may_be_none:
        raise InputError(f"rule {rule.name}: {what} of layer {h} returned None; it must return a "
                         "matrix (only a drift may return None for no term)")
    return M


def _check_statement(rule: Rule) -> Rule:
    """InputError when the statement itself is malformed (independent of any layer shapes)."""
    n = rule.name
    if not isinstance(n, str) or not _NAME.match(n):
        raise InputError(f"rule: a rule name is lowercase letters, digits, '-', '_' or '.', "
                         f"starting with a letter, got {n!r}")
    if rule.channel not in _CHANNELS:
        raise InputError(f"rule {n}: channel must be one of {', '.join(_CHANNELS)}, got {rule.channel!r}")
    if rule.channel in ("weights", "custom") and not callable(rule.backward):
        raise InputError(f"rule {n}: channel {rule.channel!r} needs a backward(h, A, C, p) function")
    if rule.source not in _SOURCES:
        raise InputError(f"rule {n}: source must be 'next' or 'top', got {rule.source!r}")
    if rule.learning not in _LEARNING:
        raise InputError(f"rule {n}: learning must be 'error' or 'none', got {rule.learning!r}")
    if rule.feedback not in _FEEDBACK:
        raise InputError(f"rule {n}: feedback must be 'next', 'top' or None, got {rule.feedback!r}")
    if rule.channel == "feedback" and rule.feedback is None:
        raise InputError(f"rule {n}: channel 'feedback' needs feedback matrices (feedback='next' or 'top')")
    if rule.adaptive and rule.feedback is None:
        raise InputError(f"rule {n}: adaptive rules learn feedback matrices; set feedback='next' or 'top'")
    if not rule.adaptive and (rule.learning != "none" or rule.feedback_drift is not None):
        raise InputError(f"rule {n}: only adaptive rules (feedback in the state) have feedback learning "
                         "or a feedback drift")
    for fn in ("backward", "weight_drift", "feedback_drift"):
        f = getattr(rule, fn)
        if f is not None and not callable(f):
            raise InputError(f"rule {n}: {fn} must be a function (h, A, C, p) -> matrix")
    names = [p.name for p in rule.parameters if isinstance(p, Parameter)]
    if len(names) != len(rule.parameters):
        raise InputError(f"rule {n}: parameters must be linrbp.Parameter objects")
    if len(set(names)) != len(names):
        raise InputError(f"rule {n}: parameter names repeat: {', '.join(names)}")
    for p in rule.parameters:
        if not re.match(r"^[a-z][a-z0-9_]*$", p.name) or p.name in _INSTANCE_KEYS:
            raise InputError(f"rule {n}: parameter name {p.name!r} must be a lowercase identifier "
                             "that is not an instance-file key")
        p.check(p.default, n)
    check_state_statement(rule)
    bad = set(dict(rule.values)) - set(names)
    if bad:
        raise InputError(f"rule {n}: values for unknown parameters {', '.join(sorted(bad))}")
    return rule


# instance-file keys a parameter may not shadow (linrbp.instances._instance.KEYS)
_INSTANCE_KEYS = ("layers", "rule", "sigma_ii", "sigma_ti", "feedback", "weights", "t_max",
                  "name", "reference", "note", "probe")


# -- the built-in rules' pieces ---------------------------------------------------------------
def decay_weights(h, A, C, p):
    """W_h = -lambda A_h (None when lambda = 0, so rules without decay stay bit for bit)."""
    lam = p.get("weight_decay", 0)
    return None if (not _is_symbolic(lam) and lam == 0) else A[h] * (-lam)


def decay_feedback(h, A, C, p):
    """D_h = -lambda C_h (Kolen-Pollack's decay of the learned feedback)."""
    lam = p.get("weight_decay", 0)
    return None if (not _is_symbolic(lam) and lam == 0) else C[h] * (-lam)


def mirror_feedback(h, A, C, p):
    """D_h = kappa (A_{h+1}^T - C_h): the weight mirror's mean over white probe noise."""
    return (transpose(A[h + 1]) - C[h]) * p["mirror_rate"]


def sign_feedback(h, A, C, p):
    """B_h = sign(A_{h+1}^T) (sign-symmetry, magnitudes 1)."""
    return sign(transpose(A[h + 1]))


def usf_feedback(h, A, C, p):
    """B_h = s_h sign(A_{h+1}^T), s_h = sqrt(2 / (N_h + N_{h+1})) (the Glorot scale)."""
    S = sign(transpose(A[h + 1]))
    n = S.shape[-2] + S.shape[-1]
    if hasattr(S, "applyfunc"):
        import sympy
        return S * sympy.sqrt(sympy.Rational(2, n))
    return S * math.sqrt(2.0 / n)


RULES: dict[str, Rule] = {}
BSL_RULES = ("bp", "rbp", "srbp", "arbp", "asrbp")  # the five rules of [BSL] (docs/theory.md section 0)


def register_rule(rule: Rule, *, replace_existing: bool = False) -> Rule:
    """Make ``rule`` known by its name everywhere rules are read.

    Registered rules are what instance files (``"rule": NAME``), :meth:`LinearSystem.create`,
    ``linrbp derive --rule`` and the trainer's ``--rule`` accept (docs: the rules page).

    Parameters
    ----------
    rule : Rule
        The statement of the rule; checked first.
    replace_existing : bool, optional
        Replace a rule registered under the same name (default False: that is an error).

    Returns
    -------
    Rule
        ``rule`` itself.

    Raises
    ------
    InputError
        (a ValueError) for a malformed statement or a name already taken.

    Examples
    --------
    A rule whose hidden layers receive the output error through :math:`-C_h` (the negated
    feedback), registered and then used by name:

    >>> import linrbp
    >>> neg = linrbp.Rule("neg-rbp", channel="custom", source="next", feedback="next",
    ...                   title="feedback -C_h", backward=lambda h, A, C, p: C[h] * -1.0)
    >>> linrbp.register_rule(neg, replace_existing=True).name
    'neg-rbp'
    >>> linrbp.get_rule("neg-rbp").title
    'feedback -C_h'

    A different rule under a name already taken is refused:

    >>> linrbp.register_rule(linrbp.Rule("rbp", channel="transpose", source="next"))
    Traceback (most recent call last):
    ...
    linrbp.InputError: rule: 'rbp' is already registered (pass replace_existing=True)
    """
    if not isinstance(rule, Rule):
        raise InputError(f"rule: expected a linrbp.Rule, got {type(rule).__name__}")
    _check_statement(rule)
    if rule.name in RULES and not replace_existing and RULES[rule.name] is not rule:
        raise InputError(f"rule: {rule.name!r} is already registered (pass replace_existing=True)")
    RULES[rule.name] = rule
    return rule


_BSL = "[BSL] section 3"
for _r in (
    Rule("bp", "transpose", "next", False, "backpropagation", "Rumelhart, Hinton & Williams 1986",
         parameters=(WEIGHT_DECAY,), weight_drift=decay_weights,
         equations="dA_h/dt = (A_L...A_{h+1})^T E F_{h-1}^T - lambda A_h"),
    Rule("rbp", "feedback", "next", False, "random backpropagation (feedback alignment)",
         "Lillicrap et al. 2016; " + _BSL, parameters=(WEIGHT_DECAY,), weight_drift=decay_weights,
         equations="dA_h/dt = C_h...C_{L-1} E F_{h-1}^T - lambda A_h"),
    Rule("srbp", "feedback", "top", False, "skipped RBP (direct feedback alignment)",
         "Nokland 2016; " + _BSL, parameters=(WEIGHT_DECAY,), weight_drift=decay_weights,
         equations="dA_h/dt = C_h E F_{h-1}^T - lambda A_h"),
    Rule("arbp", "feedback", "next", True, "adaptive RBP", _BSL,
         parameters=(WEIGHT_DECAY,), weight_drift=decay_weights, feedback_drift=decay_feedback,
         equations="as rbp; dC_h/dt = F_h E^T (C_{h+1}...C_{L-1})^T - lambda C_h"),
    Rule("asrbp", "feedback", "top", True, "adaptive skipped RBP", _BSL,
         parameters=(WEIGHT_DECAY,), weight_drift=decay_weights, feedback_drift=decay_feedback,
         equations="as srbp; dC_h/dt = F_h E^T - lambda C_h"),
    Rule("kolen-pollack", "feedback", "next", True, "Kolen-Pollack (ARBP with weight decay on A and C)",
         "Kolen & Pollack 1994; Akrout et al. 2019",
         parameters=(replace(WEIGHT_DECAY, default=0.01),), weight_drift=decay_weights,
         feedback_drift=decay_feedback,
         equations="as arbp with lambda: C_h(t) - A_{h+1}(t)^T = e^{-lambda t} (C_h(0) - A_{h+1}(0)^T)"),
    Rule("weight-mirror", "feedback", "next", True, "weight mirrors (feedback learns A^T from probe noise)",
         "Akrout et al. 2019", learning="none", parameters=(MIRROR_RATE, WEIGHT_DECAY),
         weight_drift=decay_weights, feedback_drift=mirror_feedback,
         equations="dA_h/dt = RBP field - lambda A_h; dC_h/dt = kappa (A_{h+1}^T - C_h)"),
    Rule("sign-symmetry", "weights", "next", False, "sign-symmetry: feedback sign(A^T), magnitudes 1",
         "Liao, Leibo & Poggio 2016", backward=sign_feedback, parameters=(WEIGHT_DECAY,),
         weight_drift=decay_weights, equations="RBP field with C_h = sign(A_{h+1}^T) (piecewise polynomial)"),
    Rule("usf", "weights", "next", False, "uniform sign-concordant feedback: s_h sign(A^T), s_h Glorot",
         "Moskovitz et al. 2018", backward=usf_feedback, parameters=(WEIGHT_DECAY,),
         weight_drift=decay_weights,
         equations="RBP field with C_h = sqrt(2/(N_h+N_{h+1})) sign(A_{h+1}^T) (piecewise polynomial)"),
    Rule("top-only", "transpose", "next", False, "top layer only (hidden layers frozen)", _BSL,
         feedback=None, trains_hidden=False, parameters=(WEIGHT_DECAY,), weight_drift=decay_weights,
         equations="dA_L/dt = E F_{L-1}^T - lambda A_L; dA_h/dt = 0 for h < L"),
):
    register_rule(_r)
del _r
BUILTIN_RULES = tuple(RULES)  # the names above; a researcher's rules are registered later


def get_rule(rule: str | Rule) -> Rule:
    """A registered rule by name, or ``rule`` itself if it is a :class:`Rule`.

    Parameters
    ----------
    rule : str or Rule
        A registered name (``"bp"``, ``"rbp"``, ``"kolen-pollack"``, ...; :data:`RULES` lists
        them) or a Rule.

    Returns
    -------
    Rule

    Raises
    ------
    InputError
        (a ValueError) for a name that no rule has, naming the registered ones.

    Examples
    --------
    >>> import linrbp
    >>> rule = linrbp.get_rule("rbp")
    >>> rule.channel, rule.source, rule.adaptive
    ('feedback', 'next', False)
    """
    if isinstance(rule, Rule):
        return rule
    key = str(rule).lower()
    if key in RULES:
        return RULES[key]
    raise InputError(f"rule: unknown rule {rule!r}{nearest(key, RULES)} (expected one of {', '.join(RULES)})")


def feedback_shapes(layers: Sequence[int], rule: str | Rule) -> list[tuple[int, int]]:
    """The shapes of the feedback matrices :math:`C_1, \\dots, C_{L-1}` a rule needs.

    Parameters
    ----------
    layers : sequence of int
        :math:`[N_0, \\dots, N_L]`.
    rule : str or Rule
        A registered rule name or a Rule.

    Returns
    -------
    list of tuple of int
        :math:`N_h \\times N_{h+1}` for ``feedback="next"`` (RBP), :math:`N_h \\times N_L` for
        ``"top"`` (SRBP); empty for a rule without feedback matrices.

    Raises
    ------
    InputError
        (a ValueError) for an unknown rule or bad layer sizes.

    Examples
    --------
    >>> import linrbp
    >>> linrbp.feedback_shapes([2, 3, 4, 1], "rbp"), linrbp.feedback_shapes([2, 3, 4, 1], "srbp")
    ([(3, 4), (4, 1)], [(3, 1), (4, 1)])
    >>> linrbp.feedback_shapes([2, 3, 1], "bp")
    []
    """
    r = get_rule(rule)
    L = len(layers) - 1
    if r.feedback == "next":
        return [(layers[h], layers[h + 1]) for h in range(1, L)]
    if r.feedback == "top":
        return [(layers[h], layers[L]) for h in range(1, L)]
    return []


def check_rule(rule: str | Rule, layers: Sequence[int]) -> Rule:
    r"""A rule, after checking its statement against the layers :math:`[N_0, \dots, N_L]`.

    Runs :math:`B_h`, :math:`W_h` and :math:`D_h` (and the learning terms of the rule's state)
    once on zero matrices of these shapes and compares their shapes with
    :math:`N_h \times N_{\mathrm{src}}`, :math:`A_h` and :math:`C_h`, and once on a batch of two
    states, to see each function act state by state. :class:`LinearSystem` runs it on every
    system it builds.

    Parameters
    ----------
    rule : str or Rule
        A registered rule name or a :class:`Rule`.
    layers : sequence of int
        :math:`[N_0, N_1, \dots, N_L]`.

    Returns
    -------
    Rule
        The rule (looked up by name when ``rule`` is a string).

    Raises
    ------
    InputError
        (a ValueError) for an unknown name, a malformed statement, or a function that fails, has
        the wrong shape, returns None for :math:`B_h`, or mixes the states of a batch (``.T`` on
        a batch), naming the function and the layer.

    Examples
    --------
    >>> import linrbp
    >>> bad = linrbp.Rule("bad-shape", channel="custom", feedback="next",
    ...                   backward=lambda h, A, C, p: A[h + 1])      # should be A_{h+1}^T
    >>> linrbp.check_rule("rbp", [2, 3, 1]).name
    'rbp'
    >>> linrbp.check_rule(bad, [2, 3, 1])
    Traceback (most recent call last):
    ...
    linrbp.InputError: rule bad-shape: the backward matrix B_h of layer 1 is 1x3 on A[2, 3, 1], expected 3x1
    """
    import numpy as np

    r = _check_statement(get_rule(rule))
    layers = [int(n) for n in layers]
    L = len(layers) - 1
    A = [None] + [np.zeros((layers[h], layers[h - 1])) for h in range(1, L + 1)]
    C = [None] + [np.zeros(s) for s in feedback_shapes(layers, r)]
    X = [np.full(s, float(v.initial)) for v, s in zip([v for v in r.state for _ in state_layers(v, L)],
                                                      state_shapes(r, layers))]
    p = _with_state(r, X, L)

    # A batch of two states (leading axis), to see each function act state by state (.T on a
    # batch transposes the batch axis too: silently wrong, or a shape error deep in a run).
    A2 = [None] + [np.sin(np.arange(2 * a.size).reshape(2, *a.shape) + 1.0) for a in A[1:]]
    C2 = [None] + [np.cos(np.arange(2 * c.size).reshape(2, *c.shape) + 1.0) for c in C[1:]]

    # Skipped for a derivation's symbolic parameters and for rules with state variables (their
    # values in p are per-state matrices, not numbers).
    symbolic = any(_is_symbolic(v) for v in p.values())
    try:
        pn = p if symbolic else {k: float(v) for k, v in p.items()}
    except (TypeError, ValueError):
        symbolic = True

    def per_state(what, fn, h, expect):
        if symbolic:
            return
        try:
            M2 = fn(h, A2, C2, pn)
            ok = M2 is None or (np.shape(M2) == (2, *expect) and all(
                np.allclose(M2[i], fn(h, [None] + [a[i] for a in A2[1:]], [None] + [c[i] for c in C2[1:]], pn),
                            rtol=1e-12, atol=1e-12, equal_nan=True) for i in range(2)))
        except InputError:
            raise
        except Exception:  # noqa: BLE001 - reported below, as not acting state by state
            ok = False
        if not ok:
            raise InputError(f"rule {r.name}: {what} of layer {h} does not act state by state on a batch "
                             f"of states of A{layers} ({_PROTOCOL})")

    def run(what, fn, h, expect, scalar=False):
        try:
            M = fn(h, A, C, p)
        except InputError:
            raise
        except Exception as exc:  # a user's statement failing on these shapes is bad input
            raise InputError(f"rule {r.name}: {what} of layer {h} fails on A{layers}: "
                             f"{type(exc).__name__}: {exc}") from None
        if M is None:
            if what.startswith("the backward"):
                raise InputError(f"rule {r.name}: {what} of layer {h} returned None on A{layers}; it "
                                 "must return a matrix (only a drift may return None for no term)")
            return
        shape = tuple(np.shape(M))
        if scalar and shape in ((), (1, 1)):
            return
        if shape != tuple(expect):
            raise InputError(f"rule {r.name}: {what} of layer {h} is {'x'.join(map(str, shape)) or 'a scalar'} "
                             f"on A{layers}, expected {expect[0]}x{expect[1]}")
        per_state(what, fn, h, expect)

    for h in range(1, L):
        src = layers[h + 1] if r.source == "next" else layers[L]
        if r.trains_hidden:
            run("the backward matrix B_h", lambda h, A, C, p: r.backward_matrix(h, A, C, p), h,
                (layers[h], src))
        if r.learns_from_error and C[h].shape != (layers[h], src):
            raise InputError(f"rule {r.name}: learned feedback C_{h} is {C[h].shape[0]}x{C[h].shape[1]} but "
                             f"O_h s_h^T is {layers[h]}x{src} on A{layers}")
        if r.adaptive and r.feedback_drift is not None:
            run("the feedback drift D_h", r.feedback_drift, h, C[h].shape)
    if r.weight_drift is not None:
        for h in range(1, L + 1):
            if h == L or r.trains_hidden:
                run("the weight drift W_h", r.weight_drift, h, A[h].shape)
    if r.state:
        acts = [np.zeros((n, 1)) for n in layers]
        terms = DataTerms(r, [np.zeros((n, 1)) for n in layers[1:]], acts)
        i = 0
        for v in r.state:
            for h in state_layers(v, L):
                expect = X[i].shape
                i += 1
                if v.learning is not None:
                    run(f"the learning term of state {v.name}", lambda h, A, C, p: v.learning(h, A, C, p, terms),
                        h, expect, scalar=v.scalar)
                if v.drift is not None:
                    run(f"the drift of state {v.name}", v.drift, h, expect, scalar=v.scalar)
    return r


def _with_state(r: Rule, state, L: int) -> dict:
    """The parameter values, plus the extra state's values by name for rules that have one."""
    p = r.parameter_values
    if not r.state:
        return p
    if state is None:
        raise InputError(f"rule {r.name}: it has state variables ({', '.join(v.name for v in r.state)}); "
                         "pass their values (state=...)")
    p.update(state_values(r, state, L))
    return p
