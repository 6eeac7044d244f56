"""Building a network for a configuration: ``Network(cfg, ...)`` gives the trainer's network
for the rules of EXPERIMENTS.md and the implementing module's subclass for a family rule
(:data:`FAMILY`); importing those modules here registers their classes with :class:`Network`.

Kept apart from the family table (:mod:`._family`), which the configuration reads, so that the
table never imports the networks that import the configuration.
"""

from __future__ import annotations

from . import _family_feedback, _kickback, _target_prop
from ._family import FAMILY
from ._network import Network

# FamilyRule.module -> the implementing module (each registers its Network subclass)
IMPLEMENTATIONS = {"._family_feedback": _family_feedback, "._kickback": _kickback,
                   "._target_prop": _target_prop}

__all__ = ["make_network"]


def make_network(cfg, n_in: int, n_out: int, device: str | None = None, **inject):
    """``Network(cfg, n_in, n_out, device, **inject)``: the network of ``cfg.rule``.

    ``device`` (torch, optional) is for the rules of EXPERIMENTS.md; the family runs on numpy.
    ``inject``: ``weights``, ``biases``, ``feedback`` and the family's draws (see :class:`Network`).
    """
    return Network(cfg, n_in, n_out, device, **inject)
