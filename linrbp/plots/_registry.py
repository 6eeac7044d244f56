"""The names ``linrbp figures`` draws (:data:`FIGURES`), each a function of a figure module."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from matplotlib.figure import Figure

from ._chain111 import bp_rbp_portraits, chain111_basin_map, chain111_portrait
from ._chains import chain_depths, wide_trajectories
from ._matrix import autoencoder_convergence, single_hidden_convergence
from ._nonlinear import arbp_symmetry, nonlinear_portraits
from ._poly1d import poly1d_flow

__all__ = ["FIGURES", "FigureSpec"]


# -- registry ----------------------------------------------------------------------------------
def _lazy(name, module="_second_tier"):
    """A figure of :mod:`._second_tier` (or ``module``; imported when drawn: it reads the claim
    modules or runs simulations)."""
    def make(**kwargs):
        import importlib
        return getattr(importlib.import_module(f".{module}", __package__), name)(**kwargs)
    make.__name__ = name
    return make


@dataclass(frozen=True)
class FigureSpec:
    """One figure of ``linrbp figures``: its name, what it shows and the function that draws it.

    :data:`FIGURES` maps each name to its spec.

    Parameters
    ----------
    name : str
        The name on the command line (``linrbp figures --only NAME``).
    title : str
        One line saying what the figure shows.
    make : callable
        ``make(**kwargs) -> matplotlib.figure.Figure``: the drawing function.
    seeded : bool
        Whether ``make`` takes a ``seed`` (random starts, feedback or data).
    needs : tuple of str
        The closed forms it draws (looked up with :func:`closed_form`).

    Examples
    --------
    >>> from linrbp import plots
    >>> spec = plots.FIGURES["poly1d"]
    >>> spec.make is plots.poly1d_flow, spec.seeded, spec.needs
    (True, False, ('poly1d_limit',))
    """
    name: str
    title: str
    make: Callable[..., Figure]
    seeded: bool
    needs: tuple[str, ...]


FIGURES: dict[str, FigureSpec] = {
    s.name: s for s in (
        FigureSpec("chain111-portrait", "chain111 phase portraits, c1 > 0 and c1 < 0",
                   chain111_portrait, True, ("chain111_limit",)),
        FigureSpec("bp-rbp", "BP and RBP phase portraits side by side", bp_rbp_portraits, True, ()),
        FigureSpec("basin-map", "chain111 basin map, closed form vs integrated", chain111_basin_map, False,
                   ("chain111_limit",)),
        FigureSpec("poly1d", "poly1d: Q(x), flow, a convergent and a blow-up case", poly1d_flow,
                   False, ("poly1d_limit",)),
        FigureSpec("chain-depths", "chains of depth 2..6: excess loss and a1(t)", chain_depths, True,
                   ("chain_limit",)),
        FigureSpec("wide1N1", "wide1N1 trajectories and limits", wide_trajectories, True,
                   ("wide_limit",)),
        FigureSpec("autoencoder", "autoencoder: direction, lambda(t), B A", autoencoder_convergence,
                   True, ("autoencoder_limit", "autoencoder_product")),
        FigureSpec("single-hidden", "single hidden layer: product convergence, invariant drift",
                   single_hidden_convergence, True, ()),
        FigureSpec("nonlinear", "non-linear chain with and without f'", nonlinear_portraits, True,
                   ("nonlinear_field", "nonlinear_limit", "nonlinear_moments")),
        FigureSpec("arbp", "ARBP: c1 - a2 constant, weights becoming symmetric", arbp_symmetry,
                   True, ()),
        FigureSpec("rbp-modes", "A[N,N,N] mode strengths under RBP beside BP's Saxe sigmoids",
                   _lazy("rbp_modes_figure"), True, ("chain111_limit",)),
        FigureSpec("sgd-ode", "SGD on Fashion-MNIST against the averaged ODE, two step sizes",
                   _lazy("sgd_ode_figure"), True, ()),
        FigureSpec("ts-ode-vs-sgd", "teacher-student: eps_g of the ODE over SGD runs at N = 100, 500, 2000",
                   _lazy("ts_ode_vs_sgd_figure", "_teacher_student"), True, ()),
        FigureSpec("ts-align", "teacher-student FA: cos(v, b) and eps_g against log t (align, then memorise)",
                   _lazy("ts_align_figure", "_teacher_student"), True, ()),
    )
}
