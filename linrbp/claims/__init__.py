"""The claim catalogue, one module per docs/theory.md claim ID; importing this package registers them.

Each module builds a :class:`linrbp.Claim` and passes it to :func:`linrbp.register`. The
closed-form predictors ``linrbp simulate`` reports live below, in :mod:`linrbp.instances._predict`.
:func:`get_claims` (``linrbp.get_claims``) is the catalogue with every claim loaded.
"""

from __future__ import annotations

from typing import Iterable

from ..catalogue._catalogue import CLAIMS, Claim
from ..core._checks import check_selection
from ..core._errors import InputError

# Catalogue order is the order of docs/theory.md: importing a module registers its claim.
from . import poly1d, chain111, chain, wide1N1, autoencoder, single_hidden, nonlinear  # noqa: E401,F401,I001
from . import structure, autoencoder_general, arbp_offset, bp_balance, saxe, lillicrap  # noqa: E401,F401
from . import rbp_limit, srbp_bottleneck, rbp_modes  # noqa: E401,F401
from . import kolen_pollack, weight_mirror, sgd_ode  # noqa: E401,F401
from . import lyapunov  # noqa: F401  (section 12: single-hidden-lyapunov, identity-exponential)
from . import ts_exact, ts_sgd  # noqa: E401,F401
from ._metrics import METRICS
from ._symbolic import SYMBOLIC_CHECKS

MODULES = [
    "poly1d", "chain111", "chain", "wide1N1", "autoencoder", "single_hidden", "nonlinear",
    "structure", "autoencoder_general", "arbp_offset", "bp_balance", "saxe", "lillicrap",
    "rbp_limit", "srbp_bottleneck", "rbp_modes", "kolen_pollack", "weight_mirror", "sgd_ode",
    "lyapunov",
    "ts_exact", "ts_sgd",
]

# Exact symbolic checks (linrbp/claims/_symbolic.py) run first in each claim they belong to.
for _cid, _checks in SYMBOLIC_CHECKS.items():
    if _cid in CLAIMS:
        CLAIMS[_cid].checks[:0] = _checks

# What each check's error measures (linrbp/claims/_metrics.py), where the check does not say.
for _cid, _metrics in METRICS.items():
    for _chk in CLAIMS[_cid].checks if _cid in CLAIMS else ():
        if not _chk.metric and _chk.name in _metrics:
            _chk.metric = _metrics[_chk.name]


def get_claims(ids: Iterable[str] | None = None) -> list[Claim]:
    """Claims of the catalogue by ID, in catalogue order.

    Parameters
    ----------
    ids : iterable of str, optional
        Claim IDs (the theory page's, e.g. ``"chain111"``); default: every claim.

    Returns
    -------
    list of Claim

    Raises
    ------
    InputError
        (a ValueError) naming an unknown ID.

    Examples
    --------
    >>> import linrbp
    >>> [c.id for c in linrbp.get_claims(["chain111", "poly1d"])]
    ['poly1d', 'chain111']
    """
    if ids is None:
        return list(CLAIMS.values())
    ids = check_selection(list(ids), "only")  # an empty selection is an error
    unknown = [i for i in ids if i not in CLAIMS]
    if unknown:
        raise InputError(
            f"only: unknown claim ID {', '.join(unknown)} (known: {', '.join(CLAIMS)})"
        )
    return [CLAIMS[i] for i in CLAIMS if i in ids]
