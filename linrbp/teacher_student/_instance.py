"""Teacher-student instance files (``"model": "teacher-student"``), validated key by key.

``{"model": "teacher-student", "activation": "erf" | "linear", "rule": NAME, <rule parameters>,
   "eta": > 0, "sigma": >= 0, "Q": K x K, "R": K x M, "T": M x M, "v": K, "A": M,
   "b": K (rules with feedback), "t_max": > 0, "name"/"reference"/"note": text}``

Q and T must be symmetric positive semi-definite, and so must the joint covariance
[[Q, R], [R^T, T]] of the local fields; every error names its key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core._errors import InputError
from ..core._io import load_json_file, to_jsonable
from ..core._rules import get_rule, nearest
from ..instances._instance import _check_keys
from ..core._stats import as_matrix
from ._integrals import ACTIVATIONS
from ._model import TSModel
from ._rule import ts_rule

__all__ = ["TSInstance", "parse_ts_instance", "load_ts_instance", "is_teacher_student", "MODEL"]

MODEL = "teacher-student"
KEYS = ("model", "activation", "rule", "eta", "sigma", "Q", "R", "T", "v", "A", "b", "t_max")
META_KEYS = ("name", "reference", "note")
_PSD_TOL = 1e-10


@dataclass
class TSInstance:
    """A validated teacher-student instance: the model (its ODE) and the start (Q, R, v, b).

    Made by :func:`parse_ts_instance` / :func:`load_ts_instance`; :meth:`to_dict` writes it back
    as an instance file's JSON. ``y0`` is the packed start (:meth:`TSModel.pack`), ``T`` and ``A``
    the teacher's (the model's).

    Parameters
    ----------
    model : TSModel
        Activation, rule, learning rate, noise and teacher.
    Q : numpy.ndarray, shape (K, K)
        Student-student overlaps :math:`W W^T / N` at t = 0.
    R : numpy.ndarray, shape (K, M)
        Student-teacher overlaps :math:`W W^{*T} / N` at t = 0.
    v : numpy.ndarray, shape (K,)
        The student's second-layer weights at t = 0.
    b : numpy.ndarray, shape (K,), or None
        The feedback vector (rules with feedback), else None.
    t_max : float
        Integration time, in the ODE's time t = steps / N.
    extra : dict, default {}
        The file's ``name``, ``reference`` and ``note``.

    Examples
    --------
    >>> from linrbp.teacher_student import parse_ts_instance
    >>> inst = parse_ts_instance({"model": "teacher-student", "activation": "erf", "rule": "rbp",
    ...     "eta": 1.0, "sigma": 0.0, "Q": [[1.0]], "R": [[0.5]], "T": [[1.0]], "v": [0.1],
    ...     "A": [1.0], "b": [1.0], "t_max": 10, "name": "one unit"})
    >>> inst.y0, inst.t_max, inst.extra
    (array([1. , 0.5, 0.1]), 10.0, {'name': 'one unit'})
    >>> inst.to_dict()["b"]
    [1.0]
    """

    model: TSModel
    Q: np.ndarray
    R: np.ndarray
    v: np.ndarray
    b: np.ndarray | None
    t_max: float
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def y0(self) -> np.ndarray:
        return self.model.pack(self.Q, self.R, self.v, self.b)

    @property
    def T(self) -> np.ndarray:
        return self.model.T

    @property
    def A(self) -> np.ndarray:
        return self.model.A

    def to_dict(self) -> dict:
        """The instance as an instance file's JSON object (the rule's parameters and metadata included).

        Returns
        -------
        dict
            JSON-ready; :func:`parse_ts_instance` reads it back.
        """
        m = self.model
        d = {"model": MODEL, "activation": m.activation, "rule": m.rule.name, "eta": m.eta,
             "sigma": m.sigma, "Q": self.Q, "R": self.R, "T": m.T, "v": self.v, "A": m.A}
        d.update(dict(m.rule.rule.values))
        if self.b is not None:
            d["b"] = self.b
        d["t_max"] = self.t_max
        d.update(self.extra)
        return to_jsonable(d)


def is_teacher_student(data: Any) -> bool:
    """Whether a decoded instance says ``"model": "teacher-student"`` (and so is read by :func:`parse_ts_instance`).

    Parameters
    ----------
    data : object
        A decoded JSON value.

    Returns
    -------
    bool
        True for a dict whose ``"model"`` is ``"teacher-student"``; nothing else is checked.

    Examples
    --------
    >>> from linrbp.teacher_student import is_teacher_student
    >>> is_teacher_student({"model": "teacher-student"}), is_teacher_student({"layers": [1, 1, 1]})
    (True, False)
    """
    return isinstance(data, dict) and data.get("model") == MODEL


def _number(data, key, minimum=None, positive=False) -> float:
    x = data[key]
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise InputError(f"{key}: expected a number, got {x!r}")
    x = float(x)
    if not np.isfinite(x) or (positive and x <= 0) or (minimum is not None and x < minimum):
        what = "positive and finite" if positive else f"finite and >= {minimum:g}"
        raise InputError(f"{key}: must be {what}, got {data[key]!r}")
    return x


def _vector(data, key, n=None) -> np.ndarray:
    x = data[key]
    if isinstance(x, list) and x and all(isinstance(e, list) and len(e) == 1 for e in x):
        x = [e[0] for e in x]  # a column [[x1], [x2], ...] is a vector too
    if not isinstance(x, list) or not x or any(isinstance(e, bool) or not isinstance(e, (int, float)) for e in x):
        raise InputError(f"{key}: expected a non-empty list of numbers, got {x!r:.60}")
    arr = np.array(x, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{key}: entries must be finite")
    if n is not None and len(arr) != n:
        raise InputError(f"{key}: expected {n} entries, got {len(arr)}")
    return arr


def _psd(M, key) -> None:
    if not np.allclose(M, M.T, rtol=0, atol=1e-12 * max(1.0, np.abs(M).max())):
        raise InputError(f"{key}: must be symmetric")
    lo = float(np.linalg.eigvalsh(M).min())
    if lo < -_PSD_TOL * max(1.0, np.abs(M).max()):
        raise InputError(f"{key}: must be positive semi-definite (smallest eigenvalue {lo:.3g})")


def parse_ts_instance(data: Any) -> TSInstance:
    """Validate a decoded teacher-student instance, key by key.

    The keys: ``model`` ("teacher-student"), ``activation`` ("erf" or "linear"), ``rule`` (a
    registered rule that fits the setting, :func:`ts_rule`) and its parameters, ``eta`` (> 0),
    ``sigma`` (>= 0), ``Q`` (K x K), ``R`` (K x M), ``T`` (M x M), ``v`` (K), ``A`` (M), ``b`` (K;
    exactly for rules with feedback), ``t_max`` (> 0), and optional ``name``, ``reference``,
    ``note``. Q, T and the joint covariance :math:`[[Q, R], [R^T, T]]` must be symmetric positive
    semi-definite.

    Parameters
    ----------
    data : dict
        The decoded JSON object.

    Returns
    -------
    TSInstance

    Raises
    ------
    ValueError
        An InputError naming the key and the problem (unknown or missing key, wrong shape, not
        positive semi-definite, a rule that does not fit), before any work.

    Examples
    --------
    >>> from linrbp.teacher_student import parse_ts_instance
    >>> data = {"model": "teacher-student", "activation": "erf", "rule": "bp",
    ...         "eta": 1.0, "sigma": 0.0, "Q": [[1.0]], "R": [[0.5]], "T": [[1.0]], "v": [0.1],
    ...         "A": [1.0], "t_max": 10}
    >>> inst = parse_ts_instance(data)
    >>> inst.model.K, inst.model.M
    (1, 1)
    >>> parse_ts_instance(dict(data, eta=0))
    Traceback (most recent call last):
    ...
    linrbp.InputError: eta: must be positive and finite, got 0
    """
    if not isinstance(data, dict):
        raise InputError(f"instance: expected a JSON object, got {type(data).__name__}")
    if data.get("model") != MODEL:
        raise InputError(f"model: expected {MODEL!r}, got {data.get('model')!r}")
    named = data.get("rule")
    rule = None
    if isinstance(named, str):
        rule = get_rule(named)
    _check_keys(data, rule, KEYS + META_KEYS, "teacher-student instance key")
    for key in ("activation", "rule", "eta", "sigma", "Q", "R", "T", "v", "A", "t_max"):
        if key not in data:
            raise InputError(f"{key}: missing")
    act = data["activation"]
    if act not in ACTIVATIONS:
        raise InputError(f"activation: expected one of {', '.join(ACTIVATIONS)}, got {act!r}"
                         + (nearest(act, ACTIVATIONS) if isinstance(act, str) else ""))
    if not isinstance(named, str):
        raise InputError(f"rule: expected a string, got {named!r}")
    params = {k: data[k] for k in rule.parameter_names if k in data}
    if params:
        rule = rule.with_parameters(**params)
    eta = _number(data, "eta", positive=True)
    sigma = _number(data, "sigma", minimum=0.0)
    v = _vector(data, "v")
    A = _vector(data, "A")
    K, M = len(v), len(A)
    Q = as_matrix(data["Q"], "Q", (K, K))
    R = as_matrix(data["R"], "R", (K, M))
    T = as_matrix(data["T"], "T", (M, M))
    _psd(Q, "Q")
    _psd(T, "T")
    C = np.block([[Q, R], [R.T, T]])
    lo = float(np.linalg.eigvalsh(C).min())
    if lo < -_PSD_TOL * max(1.0, np.abs(C).max()):
        raise InputError(f"R: the joint covariance [[Q, R], [R^T, T]] of the local fields must be "
                         f"positive semi-definite (smallest eigenvalue {lo:.3g})")
    tsr = ts_rule(rule, K)
    if tsr.has_feedback:
        if "b" not in data:
            raise InputError(f"b: missing (rule {rule.name} has a feedback vector b of {K} entries)")
        b = _vector(data, "b", K)
    else:
        if "b" in data:
            raise InputError(f"b: rule {rule.name} has no feedback; remove b")
        b = None
    t_max = _number(data, "t_max", positive=True)
    model = TSModel(act, tsr, eta, sigma, T, A, feedback=None if tsr.evolves_feedback else b)
    extra = {k: v_ for k, v_ in data.items() if k in META_KEYS}
    return TSInstance(model, Q, R, v, b, t_max, extra)


def load_ts_instance(path) -> TSInstance:
    """Read and validate a teacher-student instance file (JSON; see :func:`parse_ts_instance`).

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    TSInstance

    Raises
    ------
    ValueError
        An InputError: the file is missing or not JSON, or a key is wrong (as
        :func:`parse_ts_instance`).

    Examples
    --------
    >>> import json, os, tempfile
    >>> from linrbp.teacher_student import load_ts_instance
    >>> path = os.path.join(tempfile.mkdtemp(), "ts.json")
    >>> with open(path, "w") as f:
    ...     json.dump({"model": "teacher-student", "activation": "linear", "rule": "bp", "eta": 0.5,
    ...                "sigma": 0.0, "Q": [[1.0]], "R": [[0.0]], "T": [[1.0]], "v": [0.0], "A": [1.0],
    ...                "t_max": 5}, f)
    >>> inst = load_ts_instance(path)
    >>> inst.model.activation, inst.model.eta, inst.t_max
    ('linear', 0.5, 5.0)
    >>> import shutil; shutil.rmtree(os.path.dirname(path))
    """
    return parse_ts_instance(load_json_file(path))
