"""``linrbp prove``: run the machine-checked proofs and optionally write them as a document."""

from __future__ import annotations

import sys
from pathlib import Path

from ..core._errors import InputError


def add_parser(sub):
    p = sub.add_parser(
        "prove",
        help="run the machine-checked proof of each claim",
        description="Run the proof of each claim ID (default: all): every step is checked exactly "
        "(sympy simplifies to 0, or an exact sign argument) or, where marked, numerically on "
        "instances. Exits 0 iff every step holds; --out writes the derivations as Markdown (.md) "
        "or LaTeX (.tex).",
    )
    p.add_argument("ids", nargs="*", metavar="ID", help="claim IDs (default: all)")
    p.add_argument("--out", metavar="FILE", help="write the proofs to FILE.md or FILE.tex")
    p.add_argument("--verbose", "-v", action="store_true",
                   help="print every step of every proof (kind, statement, whether it holds)")
    p.set_defaults(func=run)


def document(proofs, latex: bool) -> str:
    if latex:
        head = ["\\documentclass{article}", "\\usepackage{amsmath}", "\\begin{document}",
                "\\title{linrbp: machine-checked proofs}", "\\maketitle", ""]
        return "\n".join(head + [p.render(latex=True) for p in proofs] + ["\\end{document}", ""])
    return "\n".join(["# linrbp: machine-checked proofs", ""] + [p.render() for p in proofs])


def run(args) -> int:
    from ..core._io import atomic_write_text
    from ..core._progress import progress_bar
    from ..proof.registry import PROOFS, run_proofs

    latex = False
    if args.out:
        suffix = Path(args.out).suffix.lower()
        if suffix not in (".md", ".tex"):
            raise InputError(f"out: expected a .md or .tex file name, got {args.out!r}")
        latex = suffix == ".tex"
        from ..core._io import check_output_file
        check_output_file(args.out, "--out", create_dirs=False)
    ids = args.ids or list(PROOFS)
    unknown = [i for i in ids if i not in PROOFS]
    if unknown:
        raise InputError(f"ID: unknown proof {', '.join(unknown)} (known: {', '.join(PROOFS)})")
    with progress_bar(len(ids), "prove", "proof") as bar:
        proofs = run_proofs(ids, progress=lambda p: bar.update())
    for p in proofs:
        status = "holds" if p.ok else f"FAILED ({len(p.failures)} step(s))"
        print(f"{p.claim:<20} {len(p.steps):>3} steps  {p.seconds:6.2f} s  {status}")
        for s in (p.steps if args.verbose else p.failures):
            print(f"    {s.render()}")
    if args.out:
        atomic_write_text(args.out, document(proofs, latex), "--out")
        print(f"wrote {args.out}")
    ok = all(p.ok for p in proofs)
    print(f"{sum(p.ok for p in proofs)}/{len(proofs)} proofs hold", file=sys.stdout)
    return 0 if ok else 1
