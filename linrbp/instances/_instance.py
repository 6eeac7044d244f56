"""Instance files: one linear network, rule, data and start, as JSON (the `simulate` contract).

``{"layers": [N0, ..., NL], "rule": NAME, "sigma_ii": N0 x N0, "sigma_ti": NL x N0,
   "feedback": [C_1, ..., C_{L-1}], "weights": [A_1, ..., A_L], "t_max": optional number,
   <the rule's parameters>: numbers, "state": optional {NAME: [X_1, ...]} (a rule's extra
   state variables, one value per layer: a number or a matrix; default: the variable's
   ``initial``), "name"/"reference"/"note": optional text}``

NAME is any registered rule (:func:`linrbp.register_rule`; built in: bp, rbp, srbp, arbp,
asrbp, kolen-pollack, weight-mirror, sign-symmetry, usf, top-only); its parameters are keys
of their own, e.g. ``"rule": "kolen-pollack", "weight_decay": 0.1`` or ``"rule":
"weight-mirror", "mirror_rate": 1.0`` (docs/rules.md lists them). ``feedback`` holds the
fixed C_h, or the initial C_h of a rule that learns them; it may be omitted for rules
without feedback matrices. Matrices are nested lists, row-major; a scalar is ``[[x]]``.
Any other key is an error naming the key and the nearest known one (a misspelt
``sigma_II`` or ``t_maxx`` must not be silently ignored).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core._errors import InputError
from ..core._field import LinearSystem, check_layers
from ..core._checks import check_t_max
from ..core._io import atomic_write_json, load_json_file, to_jsonable
from ..core._rules import RULES, feedback_shapes, get_rule, nearest
from ..core._state import state_layers
from ..core._stats import DataStats, as_matrix

# simulate's defaults (linrbp.instances._simulate), here so commands show and check them before
# importing the integrators.
DEFAULT_T_MAX = 1e5
# Accepted steps before a run ends with status step-limit. A converging instance of the sizes
# the claims draw needs a few thousand steps to t = 1e5; a run whose steps shrink as its weights
# grow (srbp-bottleneck: step ~ 1/|A_1|^2) would otherwise run for hours. 20,000 DOP853 steps
# of a small network take 5-20 s (the claims integrate with the same limit).
DEFAULT_MAX_STEPS = 20_000

__all__ = ["Instance", "load_instance", "parse_instance"]

KEYS = ("layers", "rule", "sigma_ii", "sigma_ti", "feedback", "weights", "t_max", "state")
META_KEYS = ("name", "reference", "note", "probe")  # free text (probe: linrbp probe's provenance), kept


@dataclass
class Instance:
    r"""A validated instance: the system (layers, rule, data, fixed feedback) and a start.

    What an instance file describes (the rules page, "Instance-file keys"); build it with
    :func:`parse_instance` or :func:`load_instance`, which check everything (the constructor
    itself checks nothing). ``y0`` is the flat start for :func:`integrate`, ``to_dict`` the
    instance file's content and ``save(path)`` writes it.

    Parameters
    ----------
    system : LinearSystem
        The averaged dynamics (layers, rule with its parameters, data moments, fixed feedback).
    weights : list of numpy.ndarray
        The start :math:`A_1(0), \dots, A_L(0)`.
    feedback : list of numpy.ndarray
        :math:`C_1, \dots, C_{L-1}`: fixed (rules with fixed feedback, also held by ``system``)
        or their start (adaptive rules); empty for rules without feedback matrices.
    t_max : float, optional
        The time limit the file asks for (time units of the ODE), or None.
    extra : dict, optional
        Free-text keys kept from the file (``name``, ``reference``, ``note``, ``probe``).
    state : list of numpy.ndarray, optional
        The start of the rule's extra state (:class:`StateVariable`), flat; empty when it has none.

    Examples
    --------
    >>> import linrbp
    >>> inst = linrbp.parse_instance({"layers": [1, 1, 1], "rule": "srbp", "sigma_ii": [[1.0]],
    ...     "sigma_ti": [[2.0]], "feedback": [[[1.0]]], "weights": [[[1.0]], [[0.5]]], "t_max": 50,
    ...     "note": "A[1,1,1], alpha = 2"})
    >>> inst.y0.tolist(), inst.t_max, inst.extra
    ([1.0, 0.5], 50.0, {'note': 'A[1,1,1], alpha = 2'})
    >>> inst.to_dict()["weights"]
    [[[1.0]], [[0.5]]]
    """

    system: LinearSystem
    weights: list[np.ndarray]
    feedback: list[np.ndarray]
    t_max: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    state: list = field(default_factory=list)

    @property
    def y0(self) -> np.ndarray:
        return self.system.pack(self.weights, self.feedback, self.state or None)

    def to_dict(self) -> dict:
        s = self.system
        d = {
            "layers": list(s.layers),
            "rule": s.rule.name,
            "sigma_ii": s.stats.sigma_ii,
            "sigma_ti": s.stats.sigma_ti,
            "feedback": self.feedback,
            "weights": self.weights,
        }
        d.update(dict(s.rule.values))
        if s.rule.state:
            d["state"] = _state_to_dict(s, self.state or s.initial_state())
        if self.t_max is not None:
            d["t_max"] = self.t_max
        d.update(self.extra)
        return to_jsonable(d)

    def save(self, path) -> None:
        atomic_write_json(path, self.to_dict())


def _matrix_list(value, field_name: str, shapes: list[tuple[int, int]]) -> list[np.ndarray]:
    if not isinstance(value, list):
        raise InputError(f"{field_name}: expected a list of matrices, got {type(value).__name__}")
    if len(value) != len(shapes):
        raise InputError(f"{field_name}: expected {len(shapes)} matrices, got {len(value)}")
    return [as_matrix(M, f"{field_name}[{i}]", shape) for i, (M, shape) in enumerate(zip(value, shapes))]


def parse_instance(data: Any) -> Instance:
    """An instance (a system and a start) from a decoded instance dict, validated.

    The keys are those of an instance file (the rules page, "Instance-file keys"): ``layers``,
    ``rule``, ``sigma_ii``, ``sigma_ti``, ``weights``, ``feedback`` when the rule has feedback
    matrices, optional ``t_max``, the rule's parameters and free text.

    Parameters
    ----------
    data : dict
        The decoded JSON object.

    Returns
    -------
    Instance
        ``system`` (a :class:`LinearSystem`), ``y0`` (the flat start), ``t_max`` (or None).

    Raises
    ------
    InputError
        (a ValueError) naming the field and the problem: a missing or unknown key (with the
        nearest known one), a shape that does not fit, a bad value.

    Examples
    --------
    >>> import linrbp
    >>> inst = linrbp.parse_instance({"layers": [1, 1, 1], "rule": "rbp", "sigma_ii": [[2.0]],
    ...     "sigma_ti": [[1.5]], "feedback": [[[0.7]]], "weights": [[[0.3]], [[-0.5]]]})
    >>> inst.system.layers, inst.y0.tolist()
    ((1, 1, 1), [0.3, -0.5])
    >>> linrbp.parse_instance({"layers": [1, 1, 1], "rule": "rbp", "sigma_II": [[2.0]]})
    Traceback (most recent call last):
    ...
    linrbp.InputError: sigma_II: unknown instance key (did you mean 'sigma_ii'?) ...
    """
    if not isinstance(data, dict):
        raise InputError(f"instance: expected a JSON object, got {type(data).__name__}")
    named = data.get("rule")
    if isinstance(named, str):
        get_rule(named)  # an unknown rule is the first thing to say (its keys depend on it)
    _check_keys(data, RULES.get(named.lower()) if isinstance(named, str) else None)
    for key in ("layers", "rule", "sigma_ii", "sigma_ti", "weights"):
        if key not in data:
            raise InputError(f"{key}: missing")
    layers = check_layers(data["layers"])
    if not isinstance(data["rule"], str):
        raise InputError(f"rule: expected a string, got {data['rule']!r}")
    rule = get_rule(data["rule"])
    params = {k: data[k] for k in rule.parameter_names if k in data}
    if params:
        rule = rule.with_parameters(**params)
    stats = DataStats.from_matrices(
        as_matrix(data["sigma_ii"], "sigma_ii", (layers[0], layers[0])),
        as_matrix(data["sigma_ti"], "sigma_ti", (layers[-1], layers[0])),
    )
    weight_shapes = [(layers[h], layers[h - 1]) for h in range(1, len(layers))]
    weights = _matrix_list(data["weights"], "weights", weight_shapes)
    fb = data.get("feedback")
    if fb is None:
        fb = []
    feedback = _matrix_list(fb, "feedback", feedback_shapes(layers, rule))
    t_max = data.get("t_max")
    if t_max is not None:
        t_max = check_t_max(t_max)
    system = LinearSystem.create(layers, rule, stats, () if rule.adaptive else feedback)
    extra = {k: v for k, v in data.items() if k in META_KEYS}
    state = _parse_state(data.get("state"), system)
    return Instance(system, weights, feedback, t_max, extra, state)


def _parse_state(value, system) -> list:
    """The extra state's initial values: ``{"g": [1.0, 0.5]}`` (numbers for scalars, matrices
    otherwise), missing variables at their ``initial``; [] for rules without extra state."""
    rule = system.rule
    if value is None:
        return system.initial_state() if rule.state else []
    if not rule.state:
        raise InputError(f"state: rule {rule.name} has no state variables")
    if not isinstance(value, dict):
        raise InputError(f"state: expected an object {{name: [one value per layer]}}, got {type(value).__name__}")
    names = [v.name for v in rule.state]
    for k in value:
        if k not in names:
            raise InputError(f"state: rule {rule.name} has no state variable {k!r}{nearest(k, names)} "
                             f"(its state: {', '.join(names)})")
    out, shapes, i = [], system.extra_shapes, 0
    defaults = system.initial_state()
    for v in rule.state:
        n = len(state_layers(v, system.depth))
        mine, defs = shapes[i:i + n], defaults[i:i + n]
        i += n
        if v.name not in value:
            out += defs
            continue
        vals = value[v.name]
        if not isinstance(vals, list) or len(vals) != n:
            raise InputError(f"state.{v.name}: expected a list of {n} values (one per layer)")
        for k, (x, shape) in enumerate(zip(vals, mine)):
            if v.scalar and not isinstance(x, list):
                x = [[x]]
            out.append(as_matrix(x, f"state.{v.name}[{k}]", shape))
    return out


def _state_to_dict(system, state) -> dict:
    out, i = {}, 0
    for v in system.rule.state:
        n = len(state_layers(v, system.depth))
        mats = state[i:i + n]
        i += n
        out[v.name] = [float(np.asarray(M).ravel()[0]) if v.scalar else np.asarray(M) for M in mats]
    return out


def _check_keys(data: dict, rule, keys: tuple = KEYS + META_KEYS, what: str = "instance key") -> None:
    """InputError for a key that is neither one of ``keys`` (instance keys and metadata) nor the
    rule's parameter (``rule`` None: the rule is not known yet, so any rule's parameter passes here)."""
    others = sorted({n for r in RULES.values() for n in r.parameter_names})
    known = tuple(keys) + (rule.parameter_names if rule is not None else tuple(others))
    for key in data:
        if key in known:
            continue
        if rule is not None and key in others:
            have = ", ".join(rule.parameter_names) or "none"
            raise InputError(f"{key}: rule {rule.name} has no parameter {key!r} (its parameters: {have})")
        raise InputError(f"{key}: unknown {what}{nearest(key, known)} "
                         f"(known: {', '.join(known)})")


def load_instance(path) -> Instance:
    """Read and validate an instance file (JSON; what ``linrbp simulate FILE`` reads).

    Parameters
    ----------
    path : str or os.PathLike
        The file: at most ``MAX_INPUT_BYTES`` = 64 MiB, nested at most ``MAX_JSON_DEPTH``
        levels; its keys as for :func:`parse_instance`.

    Returns
    -------
    Instance

    Raises
    ------
    InputError
        (a ValueError) for a missing or unreadable file, JSON that does not parse, and
        everything :func:`parse_instance` refuses.

    Examples
    --------
    >>> import linrbp
    >>> linrbp.load_instance("no-such-file.json")
    Traceback (most recent call last):
    ...
    linrbp.InputError: no-such-file.json: no such file
    """
    return parse_instance(load_json_file(path))
