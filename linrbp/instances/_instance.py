"""Instance files: one linear network, rule, data and start, as JSON (the `simulate` contract).

``{"layers": [N0, ..., NL], "rule": "bp"|"rbp"|"srbp"|"arbp"|"asrbp",
   "sigma_ii": N0 x N0, "sigma_ti": NL x N0, "feedback": [C_1, ..., C_{L-1}],
   "weights": [A_1, ..., A_L], "t_max": optional number}``

Matrices are nested lists, row-major; a scalar is ``[[x]]``. Other keys are kept (``extra``)
so that files can carry names and notes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core._errors import InputError
from ..core._field import LinearSystem, check_layers
from ..integration._integrate import check_t_max
from ..core._io import atomic_write_json, load_json_file, to_jsonable
from ..core._rules import feedback_shapes, get_rule
from ..core._stats import DataStats, as_matrix

__all__ = ["Instance", "load_instance", "parse_instance"]

KEYS = ("layers", "rule", "sigma_ii", "sigma_ti", "feedback", "weights", "t_max")


@dataclass
class Instance:
    """A validated instance: the system (layers, rule, data, fixed feedback) and a start."""

    system: LinearSystem
    weights: list[np.ndarray]
    feedback: list[np.ndarray]
    t_max: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def y0(self) -> np.ndarray:
        return self.system.pack(self.weights, self.feedback)

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
    """Validate a decoded instance dict; InputError names the field and the problem."""
    if not isinstance(data, dict):
        raise InputError(f"instance: expected a JSON object, got {type(data).__name__}")
    for key in ("layers", "rule", "sigma_ii", "sigma_ti", "weights"):
        if key not in data:
            raise InputError(f"{key}: missing")
    layers = check_layers(data["layers"])
    if not isinstance(data["rule"], str):
        raise InputError(f"rule: expected a string, got {data['rule']!r}")
    rule = get_rule(data["rule"])
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
    extra = {k: v for k, v in data.items() if k not in KEYS}
    return Instance(system, weights, feedback, t_max, extra)


def load_instance(path) -> Instance:
    """Read and validate an instance file (at most :data:`~linrbp.core._io.MAX_INPUT_BYTES`,
    nested at most :data:`~linrbp.core._io.MAX_JSON_DEPTH` levels)."""
    return parse_instance(load_json_file(path))
