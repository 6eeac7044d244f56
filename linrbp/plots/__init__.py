"""Public plotting API (imported on demand so ``import linrbp`` stays free of matplotlib).

    from linrbp import plots
    fig = plots.chain111_portrait(alpha=1, beta=1, c1s=(1, -1), seed=0)
    fig.savefig("portrait.png")

See the functions below for the figures and :data:`FIGURES` for the names ``linrbp figures``
uses.
"""

from ._plots import *  # noqa: F401,F403
from ._plots import __all__  # noqa: F401
