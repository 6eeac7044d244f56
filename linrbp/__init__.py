"""linrbp: the theory of random backpropagation in linear networks, executable.

Public API (the theory page's notation): learning rules (:class:`Rule`, :func:`register_rule`,
:data:`RULES`, :func:`backward_signals`; docs/rules.md),
data moments (:class:`DataStats`), the averaged dynamics (:class:`LinearSystem`), the
integrators (:func:`integrate`, :func:`integrate_batch`), instance files, and the claim
catalogue (:data:`CLAIMS`, :func:`run_claim`).

Every name is loaded on first use (module ``__getattr__``), so ``import linrbp`` and the
command line import only what they use; ``dir(linrbp)`` and ``from linrbp import *`` list
the same names as ``__all__``.
"""

from importlib import import_module as _import_module

from .core._version import __version__

# name -> the module (relative to linrbp) that defines it; this table is the facade.
_PUBLIC = {
    "autoencoder_limit": "closed_forms._autoencoder", "autoencoder_product": "closed_forms._autoencoder",
    "single_hidden_target": "closed_forms._autoencoder",
    "CLAIMS": "catalogue._catalogue", "Check": "catalogue._catalogue", "Claim": "catalogue._catalogue",
    "Evidence": "catalogue._catalogue", "register": "catalogue._catalogue",
    "run_claim": "catalogue._catalogue",
    "get_claims": "claims",
    "InputError": "core._errors",
    "LinearSystem": "core._field", "forward_products": "core._field",
    "Instance": "instances._instance", "load_instance": "instances._instance",
    "parse_instance": "instances._instance",
    "IntegrationResult": "integration._integrate", "integrate": "integration._integrate",
    "integrate_batch": "integration._integrate",
    "predict": "instances._predict", "register_predictor": "instances._predict",
    "RULES": "core._rules", "Rule": "core._rules", "backward_signals": "core._rule_run",
    "feedback_shapes": "core._rules", "get_rule": "core._rules", "updates": "core._rule_run",
    "Parameter": "core._rules", "register_rule": "core._rules", "check_rule": "core._rules",
    "drifts": "core._rule_run", "averaged_velocity": "core._rule_run",
    "StateVariable": "core._state", "inner": "core._state",
    "observe": "instances._observe", "register_observable": "instances._observe",
    "OBSERVABLES": "instances._observe",
    "transpose": "core._rules", "sign": "core._rules",
    "sweep": "sweeps._sweep",
    "simulate": "instances._simulate",
    "Poly1dLimit": "closed_forms._poly1d", "poly1d_limit": "closed_forms._poly1d",
    "real_roots": "closed_forms._poly1d", "real_roots_multiplicity": "closed_forms._poly1d",
    "blowup_time": "closed_forms._poly1d",
    **{name: "closed_forms._closed_forms" for name in (
        "chain111_limit", "chain111_stable", "chain_limit", "wide_limit", "chain_invariants", "chain_field",
        "chain_jacobian", "wide_invariants")},
    **{name: "closed_forms._nonlinear" for name in (
        "nonlinear_field", "nonlinear_jacobian", "nonlinear_limit", "nonlinear_moments")},
    "DataStats": "core._stats",
    "certify_instance": "certify", "certify_claim": "certify", "check_certificate": "checker._checker",
}
_SUBPACKAGES = ("trainer",  # the non-linear trainer: linrbp.trainer.train, TrainConfig, ...
                "teacher_student")  # two-layer networks in the teacher-student limit (docs/teacher-student.md)

__all__ = [
    "CLAIMS", "Check", "Claim", "DataStats", "Evidence", "InputError", "Instance",
    "IntegrationResult", "LinearSystem", "RULES", "Rule", "backward_signals", "feedback_shapes",
    "forward_products", "get_claims", "get_rule", "integrate", "integrate_batch",
    "load_instance", "parse_instance", "predict", "register", "register_predictor",
    "run_claim", "simulate", "trainer", "updates", "teacher_student",
    "Parameter", "register_rule", "check_rule", "drifts", "averaged_velocity", "transpose", "sign", "sweep",
    "StateVariable", "inner", "observe", "register_observable", "OBSERVABLES",
    "autoencoder_limit", "autoencoder_product", "single_hidden_target",
    "Poly1dLimit", "poly1d_limit", "real_roots", "real_roots_multiplicity", "blowup_time",
    "chain111_limit", "chain111_stable", "chain_limit", "wide_limit", "nonlinear_limit",
    "nonlinear_field", "nonlinear_jacobian", "nonlinear_moments", "chain_invariants",
    "chain_field", "chain_jacobian", "wide_invariants",
    "certify_instance", "certify_claim", "check_certificate",
]


def __getattr__(name):
    if name in _PUBLIC:
        value = getattr(_import_module(f"{__name__}.{_PUBLIC[name]}"), name)
    elif name in _SUBPACKAGES:
        value = _import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later look-ups are plain attribute reads
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
