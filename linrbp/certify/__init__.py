"""Certificates of the chains' limits in ball arithmetic (python-flint, the ``certify`` extra).

:func:`certify_instance` certifies one ``chain111`` or ``chain`` instance exactly as given;
:func:`certify_claim` draws the instances ``linrbp verify`` checks and certifies each. The
independent checker is :mod:`linrbp.checker` (exact rationals and Sturm sequences only).
"""

from ._balls import MAX_PREC, START_PREC, Refused, certify_chain
from ._run import (CLAIMS, FORMAT, certificate, certify_many, draw_instances, exact_inputs, file_name,
                   require_flint, summary_line)

__all__ = ["CLAIMS", "FORMAT", "MAX_PREC", "START_PREC", "Refused", "certify_chain", "certificate",
           "certify_claim", "certify_instance", "certify_many", "draw_instances", "exact_inputs",
           "file_name", "require_flint", "summary_line"]


def certify_instance(claim: str, instance: dict) -> dict:
    """Certify one instance of ``claim`` (``"chain111"`` or ``"chain"``).

    Parameters
    ----------
    claim : str
        ``"chain111"`` (keys alpha, beta, c1, a1, a2) or ``"chain"`` (alpha, beta, rule,
        feedback, weights; depth 2..7).
    instance : dict
        Numbers as floats (exact binary rationals) or exact ``"p/q"`` strings.

    Returns
    -------
    dict
        The certificate: ``status`` ("certified" or "refused" with ``reason``), exact
        ``inputs``, ``polynomial``, ``limit`` balls (mid/rad as exact strings),
        ``precision_bits``, ``checks``, ``versions``.

    Raises
    ------
    ValueError
        Bad input (an InputError), or python-flint missing.

    Examples
    --------
    >>> from linrbp.certify import certify_instance
    >>> c = certify_instance("chain111", {"alpha": 1.0, "beta": 1.0, "c1": 1.0, "a1": 0.5, "a2": 0.5})
    >>> c["status"], c["precision_bits"]
    ('certified', 128)
    >>> certify_instance("chain111", {"alpha": 1, "beta": 1, "c1": -1, "a1": 1.5, "a2": 0.375})["reason"][:11]
    'double root'
    """
    require_flint()
    return certificate(claim, instance)


def certify_claim(claim: str, samples: int = 100, seed: int = 0, depth: int | None = None,
                  out: str | None = None, progress: bool | None = None, compare_float: bool = False) -> dict:
    """Certify the first ``samples`` instances of verify's limit check of ``claim``.

    Parameters
    ----------
    claim : str
        ``"chain111"`` or ``"chain"``.
    samples : int, default 100
        Number of instances.
    seed : int, default 0
        verify's seed: the instances are those of check ``limit-vs-integration`` at this seed.
    depth : int, optional
        chain only: fix the depth (2..7) in the same stream; default the draw's own (2..7).
    out : str, optional
        Directory for one certificate per instance and ``summary.json`` (resumable).
    progress : bool, optional
        False hides the progress bar (default: shown on a terminal).
    compare_float : bool, default False
        Also record the float closed form's limit (:func:`linrbp.chain_limit`) and how far
        outside the balls it lies.

    Returns
    -------
    dict
        The summary: ``instances``, ``certified``, ``refused``, ``refused_why``,
        ``precision_bits``, ``certificates``, ...

    Examples
    --------
    >>> from linrbp.certify import certify_claim
    >>> certify_claim("chain111", samples=5, progress=False)["certified"]
    5
    """
    from ..core._checks import check_seed
    from ..core._errors import InputError

    if claim not in CLAIMS:
        raise InputError(f"claim: certify knows {', '.join(CLAIMS)}, not {claim!r}")
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise InputError(f"samples: must be at least 1, got {samples!r}")
    seed = check_seed(seed)
    if depth is not None:
        if claim != "chain":
            raise InputError("depth: only for claim chain")
        if isinstance(depth, bool) or not isinstance(depth, int) or not 2 <= depth <= 7:
            raise InputError(f"depth: must be 2..7, got {depth!r}")
    require_flint()
    instances = draw_instances(claim, samples, seed, depth)
    names = [file_name(claim, seed, depth, k) for k in range(samples)]
    sources = [{"seed": seed, "index": k, "check": "limit-vs-integration", "depth": depth,
                "draw": f"linrbp verify --only {claim} --seed {seed}: instance {k} of that check"
                        + (f" (depth fixed to {depth})" if depth else "")} for k in range(samples)]
    return certify_many(claim, instances, names, sources, out, progress, compare_float)
