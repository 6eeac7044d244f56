"""The claim catalogue, one module per THEORY.md claim ID; importing this package registers them.

Each module builds a :class:`linrbp.Claim` and passes it to :func:`linrbp.register`; modules
with closed-form limits also register a predictor for ``linrbp simulate``.
"""

from importlib import import_module

# Catalogue order is the order of THEORY.md.
MODULES = ["poly1d", "chain111", "chain", "wide1N1", "nonlinear"]

for _name in MODULES:
    import_module(f"{__name__}.{_name}")
