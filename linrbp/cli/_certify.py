"""``linrbp certify``: certificates of the chains' limits in ball arithmetic."""

from __future__ import annotations

import sys
from pathlib import Path


def add_parser(sub):
    p = sub.add_parser(
        "certify",
        help="certify the limits of chain111 and chain instances in ball arithmetic (exact inputs)",
        description="For each instance (drawn as `linrbp verify` draws its limit check, or read from "
        "--instance files) enclose the limit a_1* of a_1' = Q(a_1) in a ball and record the checks "
        "that make it a certificate: sign Q(a_1(0)) exact, every root isolated, none between a_1(0) "
        "and the ball, the root simple and attracting (Q' < 0), the Jacobian's eigenvalues. "
        "Precision starts at 128 bits and rises only where a sign is undecided. One JSON "
        "certificate per instance in --out DIR; `linrbp check-certificate` re-checks them with exact "
        "rational arithmetic. Exit 0 when every instance is certified, 1 when any is refused (a "
        "double root, precision exhausted), 2 for bad input. Needs python-flint (the certify extra). "
        "The theory page, section 12.",
    )
    p.add_argument("claim", nargs="?", choices=("chain111", "chain"),
                   help="the claim whose instances to draw (with --instance: optional, else guessed "
                   "from the file's keys)")
    p.add_argument("--samples", type=int, default=100, metavar="N", help="instances to draw (default 100)")
    p.add_argument("--seed", type=int, default=0, help="verify's seed: the instances of check "
                   "limit-vs-integration at this seed (default 0)")
    p.add_argument("--depth", type=int, default=None, metavar="L",
                   help="chain: fix the depth, 2..7 (default: each draw's own)")
    p.add_argument("--instance", metavar="FILE", action="append", default=None,
                   help="certify the instance in this JSON file instead of drawing (repeatable); numbers "
                   "as floats or exact 'p/q' strings")
    p.add_argument("--float", dest="compare_float", action="store_true",
                   help="also record the float closed form's limit and how far outside the balls it lies")
    p.add_argument("--out", metavar="DIR", required=True, help="directory of the certificates (resumable)")
    p.set_defaults(func=run)


def _claim_of(inst, given):
    if given:
        return given
    if isinstance(inst, dict) and isinstance(inst.get("claim"), str):
        return inst["claim"]
    if isinstance(inst, dict) and "c1" in inst:
        return "chain111"
    return "chain"


def run(args) -> int:
    from ..certify import (certify_claim, certify_many, exact_inputs, require_flint,
                           summary_line)
    from ..core._checks import check_seed
    from ..core._errors import InputError
    from ..core._io import check_output_dir, load_json_file

    out = args.out
    check_output_dir(out, "--out")
    if args.instance:
        if args.depth is not None or args.samples != 100 or args.seed != 0:
            raise InputError("--instance: certifies the files given; --samples, --seed and --depth draw")
        instances, claims, names = [], [], []
        for f in args.instance:
            inst = load_json_file(f, "--instance")
            claim = _claim_of(inst, args.claim)
            exact_inputs(claim, inst)  # every file checked before any work
            instances.append(inst)
            claims.append(claim)
            names.append(Path(f).stem + ".json")
        if len(set(names)) != len(names):
            raise InputError("--instance: two files with the same name would write one certificate")
        if len(set(claims)) != 1:
            raise InputError("--instance: files of different claims; certify them in two runs")
        require_flint()
        summary = certify_many(claims[0], instances, names, [{"file": f} for f in args.instance], out,
                               compare_float=args.compare_float)
    else:
        if args.claim is None:
            raise InputError("claim: name chain111 or chain, or give --instance FILE")
        if args.samples < 1:
            raise InputError(f"samples: must be at least 1, got {args.samples}")
        check_seed(args.seed, "--seed")
        summary = certify_claim(args.claim, args.samples, args.seed, args.depth, out,
                                compare_float=args.compare_float)
    print(summary_line(summary) + f"; certificates in {out}")
    for r in summary["refusals"]:
        print(f"  refused {r['file']}: {r['reason']}")
    if args.compare_float and summary["max_float_limit_outside_balls"] is not None:
        print(f"  float closed form: at most {summary['max_float_limit_outside_balls']:.3g} outside the balls")
    sys.stdout.flush()
    return 0 if summary["refused"] == 0 else 1
