"""Two-layer non-linear networks in the teacher-student limit (the theory page, section 11).

The order-parameter ODEs of online SGD in high dimension, derived from any registered rule whose
first-layer backward matrix and drifts depend on the second layer and the feedback only
(:func:`ts_rule`), their integration (:func:`integrate_ts`), finite-N SGD
(:func:`simulate_sgd`), instance files with ``"model": "teacher-student"``
(:func:`parse_ts_instance`, :func:`load_ts_instance`) and the Gaussian integrals (:func:`moments`).
"""

from ._integrals import ACTIVATIONS, moments
from ._instance import TSInstance, is_teacher_student, load_ts_instance, parse_ts_instance
from ._model import TSModel, generalisation_error
from ._ode import integrate_ts
from ._rule import TSRule, ts_rule
from ._sgd import draw_network, simulate_sgd

__all__ = ["ACTIVATIONS", "moments", "TSInstance", "is_teacher_student", "load_ts_instance",
           "parse_ts_instance", "TSModel", "generalisation_error", "integrate_ts", "TSRule", "ts_rule",
           "draw_network", "simulate_sgd"]
