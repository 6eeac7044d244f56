"""linrbp: the theory of random backpropagation in linear networks, executable.

Public API (THEORY.md notation): learning rules (:class:`Rule`, :func:`register_rule`,
:data:`RULES`, :func:`backward_signals`; docs/rules.md),
data moments (:class:`DataStats`), the averaged dynamics (:class:`LinearSystem`), the
integrators (:func:`integrate`, :func:`integrate_batch`), instance files, and the claim
catalogue (:data:`CLAIMS`, :func:`run_claim`).
"""

__version__ = "0.1.0"

from .closed_forms._autoencoder import autoencoder_limit, autoencoder_product, single_hidden_target
from .catalogue._catalogue import CLAIMS, Check, Claim, Evidence, get_claims, register, run_claim
from .core._errors import InputError
from .core._field import LinearSystem, forward_products
from .instances._instance import Instance, load_instance, parse_instance
from .integration._integrate import IntegrationResult, integrate, integrate_batch
from .instances._predict import predict, register_predictor
from .core._rules import (RULES, Parameter, Rule, averaged_velocity, backward_signals, check_rule, drifts,
                          feedback_shapes, get_rule, register_rule, updates)
from .instances._simulate import simulate
from .closed_forms._poly1d import Poly1dLimit, poly1d_limit, real_roots, real_roots_multiplicity, blowup_time
from .closed_forms._closed_forms import (chain111_limit, chain111_stable, chain_limit, nonlinear_field,
                            nonlinear_jacobian, nonlinear_limit, nonlinear_moments, wide_limit,
                            chain_invariants, chain_field, chain_jacobian, wide_invariants)
from .core._stats import DataStats
from . import trainer  # the non-linear trainer: linrbp.trainer.train, TrainConfig, ...

__all__ = [
    "CLAIMS", "Check", "Claim", "DataStats", "Evidence", "InputError", "Instance",
    "IntegrationResult", "LinearSystem", "RULES", "Rule", "backward_signals", "feedback_shapes",
    "forward_products", "get_claims", "get_rule", "integrate", "integrate_batch",
    "load_instance", "parse_instance", "predict", "register", "register_predictor",
    "run_claim", "simulate", "trainer", "updates",
    "Parameter", "register_rule", "check_rule", "drifts", "averaged_velocity",
    "autoencoder_limit", "autoencoder_product", "single_hidden_target",
    "Poly1dLimit", "poly1d_limit", "real_roots", "real_roots_multiplicity", "blowup_time",
    "chain111_limit", "chain111_stable", "chain_limit", "wide_limit", "nonlinear_limit",
    "nonlinear_field", "nonlinear_jacobian", "nonlinear_moments", "chain_invariants",
    "chain_field", "chain_jacobian", "wide_invariants",
]
