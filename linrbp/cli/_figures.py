"""``linrbp figures``: write the figures of the averaged dynamics to files."""

from __future__ import annotations

import sys
from pathlib import Path

from ..core._version import __version__
from ..core._errors import InputError
from ..core._checks import check_seed, check_selection
from ..core._io import atomic_open, check_output_dir, check_output_file, load_json_file
from ..plots import FIGURES, MissingClosedForm
from ..core._progress import progress_bar
from ._options import add_executor_options, executor_settings

FORMATS = ("png", "pdf", "svg")
DPI = 150


def add_parser(sub):
    p = sub.add_parser(
        "figures",
        help="draw the phase portraits, basin maps and convergence plots",
        description="Draw the figures of the averaged learning dynamics (phase portraits, basin "
        "map, polynomial flows, chains, wide and matrix systems, non-linear chain, ARBP) and "
        "write one file per figure. Figures: " + ", ".join(FIGURES) + ".",
    )
    p.add_argument("--out", default="figures", metavar="DIR",
                   help="output directory (created if missing; default: figures)")
    p.add_argument("--format", default="png", choices=FORMATS, help="file format (default: png)")
    p.add_argument("--only", metavar="NAMES",
                   help="comma-separated figure names to draw (default: all)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed for the random starts, data and feedback (default: 0)")
    p.add_argument("--probe", metavar="FILE",
                   help="a `linrbp probe --json` summary for the single-hidden figure (default: "
                   "run a small probe sweep)")
    add_executor_options(p, 1, "basin map's tiles")
    p.set_defaults(func=run)


def select(only: str | None) -> list[str]:
    if only is None:
        return list(FIGURES)
    names = check_selection(only, "--only")
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        raise InputError(f"--only: unknown figure {unknown[0]!r} (known: {', '.join(FIGURES)})")
    return list(dict.fromkeys(names))


def load_probe(path: str) -> dict:
    data = load_json_file(path, "--probe")
    if not isinstance(data, dict) or not isinstance(data.get("per_shape"), list):
        raise InputError(f"--probe: {path} is not a linrbp probe summary (no 'per_shape' list)")
    return data


def save_atomic(fig, path: Path, fmt: str, description: str = "") -> None:
    """Render to a temporary file beside ``path``, then rename: never a half-written figure."""
    with atomic_open(path, "wb", "--out") as fh:
        fig.savefig(fh, format=fmt, dpi=DPI, metadata=_metadata(fmt, description))


def _metadata(fmt, description):
    # What drew the file (command, version, seed), and no creation dates: the same seed gives
    # the same bytes.
    if fmt == "png":
        return {"Software": None, "Description": description}
    if fmt == "pdf":
        return {"CreationDate": None, "Producer": None, "Creator": None, "Subject": description}
    return {"Date": None, "Creator": None, "Description": description}


def run(args) -> int:
    check_seed(args.seed, "--seed")
    names = select(args.only)
    probe = load_probe(args.probe) if args.probe is not None else "sweep"
    out = check_output_dir(args.out, "--out")
    for name in names:  # every file, before the first figure is drawn
        check_output_file(out / f"{name}.{args.format}", "--out")
    workers, scheduler, where = executor_settings(args, None)
    out.mkdir(parents=True, exist_ok=True)
    print(f"linrbp figures: seed {args.seed}, format {args.format}, into {out}/"
          + (f"; basin map executor: {where}" if "basin-map" in names else ""), flush=True)
    failed = []
    bar = progress_bar(len(names), desc="figures", unit="fig")
    for name in names:
        spec = FIGURES[name]
        try:
            kwargs = {"seed": args.seed} if spec.seeded else {}
            if name == "single-hidden":
                kwargs["probe"] = probe
            if name == "basin-map":
                kwargs.update(workers=workers, scheduler=scheduler)
            fig = spec.make(**kwargs)
        except MissingClosedForm as exc:
            failed.append(name)
            print(f"linrbp figures: error: {name}: {exc}", file=sys.stderr)
            bar.update(1)
            continue
        path = out / f"{name}.{args.format}"
        seed = f" --seed {args.seed}" if spec.seeded else ""
        save_atomic(fig, path, args.format,
                    f"linrbp {__version__}: linrbp figures --only {name}{seed}")
        bar.update(1)
        print(f"  wrote {path}  ({spec.title})")
    bar.close()
    if failed:
        print(f"linrbp figures: {len(failed)} figure(s) not drawn: {', '.join(failed)}",
              file=sys.stderr)
        return 1
    return 0
