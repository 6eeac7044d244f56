"""Symbolic layer: averaged ODEs derived from the per-example rule, and their exact analysis.

- :func:`derive_ode` (A[N0..NL], symbolic matrices), :func:`scalar_chain_ode`,
  :func:`wide_ode`, :func:`nonlinear_ode`: expectations of the updates of :data:`linrbp.RULES`.
- :func:`chain_reduction` (depth L, sparse polynomial rings), :func:`wide_reduction`,
  :func:`nonlinear_reduction`: a1' = Q(a1) with degree and leading coefficient.
- :func:`find_invariants`: every polynomial first integral of degree <= d, exact and verified;
  :func:`fixed_point_set` (exact, factorised), :func:`instance_fixed_point` (at a limit).
- :func:`is_zero`, :func:`is_conserved`, :func:`critical_factor`, :func:`fixed_point_jacobian`.
"""

from ._analysis import (chain_invariants, critical_factor, error_factor, fixed_point_jacobian,
                        fixed_point_summary,
                        flow_derivative, is_conserved, is_zero, network_product, wide_invariants)
from ._derive import (ALPHA, BETA, DELTA, GAMMA, MU, OdeSystem, derive_ode, nonlinear_ode,
                      scalar_chain_ode, wide_ode)
from ._fixed_points import fixed_point_set, instance_fixed_point
from ._invariants import Invariant, InvariantBasis, find_invariants, find_invariants_piecewise
from ._moments import expectation
from ._reduce import (ChainReduction, Reduction, chain_feedback, chain_reduction, format_polynomial,
                      nonlinear_reduction, wide_reduction)

__all__ = [
    "ALPHA", "BETA", "DELTA", "GAMMA", "MU", "ChainReduction", "OdeSystem", "Reduction",
    "chain_feedback", "chain_invariants", "chain_reduction", "critical_factor", "derive_ode",
    "error_factor", "expectation", "find_invariants", "find_invariants_piecewise", "Invariant", "InvariantBasis", "fixed_point_set", "instance_fixed_point", "fixed_point_jacobian", "fixed_point_summary", "flow_derivative",
    "format_polynomial",
    "is_conserved", "is_zero", "network_product", "nonlinear_ode", "nonlinear_reduction",
    "scalar_chain_ode", "wide_invariants", "wide_ode", "wide_reduction",
]
