"""The claim catalogue, one module per THEORY.md claim ID; importing this package registers them.

Each module builds a :class:`linrbp.Claim` and passes it to :func:`linrbp.register`; modules
with closed-form limits also register a predictor for ``linrbp simulate``.
"""

from importlib import import_module

# Catalogue order is the order of THEORY.md.
MODULES = [
    "poly1d", "chain111", "chain", "wide1N1", "autoencoder", "single_hidden", "nonlinear",
    "structure", "autoencoder_general", "arbp_offset", "bp_balance", "saxe", "lillicrap",
    "rbp_limit", "srbp_bottleneck", "rbp_modes", "sgd_ode",
]

for _name in MODULES:
    import_module(f"{__name__}.{_name}")

# Exact symbolic checks (linrbp/claims/_symbolic.py) run first in each claim they belong to.
from ..catalogue._catalogue import CLAIMS  # noqa: E402
from ._symbolic import SYMBOLIC_CHECKS  # noqa: E402

for _cid, _checks in SYMBOLIC_CHECKS.items():
    if _cid in CLAIMS:
        CLAIMS[_cid].checks[:0] = _checks
