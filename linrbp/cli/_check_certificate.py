"""``linrbp check-certificate``: re-check certificates with exact rational arithmetic only.

This command runs :mod:`linrbp.checker` (standard library only), never the code that produced
the certificates.
"""

from __future__ import annotations

from pathlib import Path


def add_parser(sub):
    p = sub.add_parser(
        "check-certificate",
        help="re-check certificates with exact rational arithmetic and Sturm sequences (independent)",
        description="For each certificate (files, or every *.json in a directory but summary.json): "
        "recompute Q from the exact inputs, check that the limit ball holds exactly one root of Q, "
        "that no root lies between the start and the ball, that Q' < 0 on the ball and that the "
        "other weights' balls hold their images. Uses exact rational arithmetic and Sturm sequences "
        "only, not the code that produced the certificate. Exit 0 when every certificate holds, 1 "
        "naming each that does not and the check that failed, 2 for bad input.",
    )
    p.add_argument("paths", nargs="+", metavar="FILE_OR_DIR", help="certificate files or directories")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..checker._checker import check_paths
    from ..core._errors import InputError

    for p in args.paths:
        if not Path(p).exists():
            raise InputError(f"{p}: no such file or directory")
    results = check_paths(args.paths)
    if not results:
        raise InputError(f"no certificate files in {', '.join(args.paths)}")
    bad = [r for r in results if not r[1]]
    for f, _, what in bad:
        print(f"{f}: DOES NOT HOLD: {what}")
    print(f"check-certificate: {len(results) - len(bad)} of {len(results)} certificates hold (exact "
          "rational arithmetic; Sturm sequences or Descartes' rule of signs)")
    return 0 if not bad else 1
