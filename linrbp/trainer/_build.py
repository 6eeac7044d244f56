"""Building a network for a configuration: the trainer's :class:`Network` for the rules of
EXPERIMENTS.md, or the implementing module's network for a family rule (:data:`FAMILY`).

Kept apart from the family table (:mod:`._family`), which the configuration reads, so that the
table never imports the networks that import the configuration.
"""

from __future__ import annotations

from ..core._errors import InputError
from . import _family_feedback, _kickback, _target_prop
from ._family import FAMILY
from ._network import Network

# FamilyRule.module -> the implementing module (each has ``network(rule, cfg, n_in, n_out)``).
IMPLEMENTATIONS = {"._family_feedback": _family_feedback, "._kickback": _kickback,
                   "._target_prop": _target_prop}

__all__ = ["make_network"]


def make_network(cfg, n_in: int, n_out: int, device: str | None = None):
    """The network class of ``cfg.rule``: the trainer's Network, or a family rule's subclass.

    ``device`` (torch, optional) is for the rules of EXPERIMENTS.md; the family runs on numpy.
    """
    r = FAMILY.get(cfg.rule)
    if r is None:
        return Network(cfg, n_in, n_out, device)
    if device is not None:
        raise InputError(f"device: rule {cfg.rule} runs on the numpy backend only "
                         "(the device backend has bp, rbp, srbp, arbp, asrbp and top-only)")
    return IMPLEMENTATIONS[r.module].network(r, cfg, n_in, n_out)
