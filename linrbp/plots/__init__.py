"""Figures of the averaged dynamics, as matplotlib Figures (imported on demand so ``import linrbp``
stays free of matplotlib).

    from linrbp import plots
    fig = plots.chain111_portrait(alpha=1, beta=1, c1s=(1, -1), seed=0)
    fig.savefig("portrait.png")

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot (no global
state; the Agg canvas draws it), and is deterministic: random starts come from ``seed``.
Curves are the theory page's formulas, trajectories come from :func:`linrbp.integrate` /
:func:`linrbp.integrate_batch` on :class:`linrbp.LinearSystem`, stability of fixed points from
the eigenvalues of a finite-difference Jacobian of the field, and predicted limits from the
closed forms, looked up by name so that a missing one raises :class:`MissingClosedForm`
instead of being replaced by something else.

One module per figure family: ``_plane`` and ``_basins`` (:func:`portrait` and :func:`basin_map` of any system
in the plane of two state coordinates), ``_chain111`` (A[1,1,1]), ``_poly1d``, ``_chains``
(depth L, wide A[1,N,1]), ``_matrix`` (autoencoder, single hidden layer), ``_nonlinear``
(non-linear chain, ARBP), ``_second_tier`` (rbp-modes, sgd-ode); :data:`FIGURES` maps the names
``linrbp figures`` uses to the functions.
"""

from ._common import (MissingClosedForm, chain111_system, chain_system, closed_form,  # noqa: F401
                      jacobian, _PROVIDERS)
from ._plane import coordinate_names, portrait  # noqa: F401
from ._basins import BasinMap, basin_map, basins  # noqa: F401
from ._chain111 import (bp_rbp_portraits, chain111_basin_map, chain111_basins,  # noqa: F401
                        chain111_portrait)
from ._poly1d import poly1d_flow  # noqa: F401
from ._chains import chain_depths, wide_trajectories  # noqa: F401
from ._matrix import autoencoder_convergence, single_hidden_convergence  # noqa: F401
from ._nonlinear import arbp_symmetry, nonlinear_portraits  # noqa: F401
from ._registry import FIGURES, FigureSpec  # noqa: F401

__all__ = [
    "FIGURES", "FigureSpec", "MissingClosedForm", "BasinMap", "chain111_basins", "closed_form",
    "jacobian", "chain111_system", "chain_system",
    "chain111_portrait", "bp_rbp_portraits", "basin_map", "poly1d_flow", "chain_depths",
    "wide_trajectories", "autoencoder_convergence", "single_hidden_convergence",
    "nonlinear_portraits", "arbp_symmetry", "portrait", "basins", "coordinate_names",
    "chain111_basin_map",
]
