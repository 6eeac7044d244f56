"""The ``family`` set's extra summary: every rule's final alignment, mean over seeds.

For each variant and each measurement of :func:`linrbp.trainer._align.alignment` (update vs
BP angle per layer, feedback vs transposed forward weights angle, their norm ratio, the
inverses' reconstruction error, Kickback's coherence) the mean, min and max over seeds of the
value at the last epoch. Written to ``summary.json`` (key ``alignment``),
``family_alignment.md`` and ``family_alignment.png``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core._io import atomic_open, atomic_write_text

__all__ = ["family_alignment", "write_family_alignment"]

_KEYS = ("update_vs_bp", "feedback_vs_forward", "feedback_norm_ratio", "inverse_reconstruction")


def family_alignment(variants, seeds, results) -> dict:
    """variant -> measurement -> layer -> {mean, min, max, n} over seeds (last epoch)."""
    table = {}
    for vname in variants:
        acc: dict = {}
        for s in range(seeds):
            al = results[(vname, s)].get("alignment") or {}
            for kind, per_layer in al.items():
                for layer, v in (per_layer or {}).items():
                    if isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v):
                        acc.setdefault(kind, {}).setdefault(layer, []).append(float(v))
        table[vname] = {kind: {layer: {"mean": float(np.mean(v)), "min": float(np.min(v)),
                                       "max": float(np.max(v)), "n": len(v)}
                               for layer, v in layers.items()}
                        for kind, layers in acc.items()}
    return table


def _cell(entry) -> str:
    return "-" if entry is None else f"{entry['mean']:.3g}"


def write_family_alignment(out: Path, summary: dict, variants, seeds, results) -> None:
    table = family_alignment(variants, seeds, results)
    summary["alignment"] = table
    lines = [f"# family alignment at the last epoch (mean over {seeds} seed(s))", "",
             "Angles in degrees; norm ratio ||C_h|| / ||A_{h+1}^T||; reconstruction "
             "||g(f(h)) - h||^2 / ||h||^2 (target propagation).", ""]
    for kind in _KEYS:
        layers = sorted({l for v in table.values() for l in v.get(kind, {})})
        if not layers:
            continue
        lines += [f"## {kind}", "", "| variant | " + " | ".join(layers) + " |",
                  "|---|" + "---|" * len(layers)]
        for vname, v in table.items():
            if kind in v:
                lines.append(f"| {vname} | " + " | ".join(_cell(v[kind].get(l)) for l in layers) + " |")
        lines.append("")
    for kind in sorted({k for v in table.values() for k in v} - set(_KEYS)):
        lines += [f"## {kind}", ""]
        for vname, v in table.items():
            if kind in v:
                lines.append(f"- {vname}: " + ", ".join(f"{l} {_cell(e)}" for l, e in v[kind].items()))
        lines.append("")
    atomic_write_text(out / "family_alignment.md", "\n".join(lines))
    _plot(out, table)


def _plot(out: Path, table: dict) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    for ax, kind in zip(axes, ("update_vs_bp", "feedback_vs_forward")):
        names = [n for n, v in table.items() if any(e for e in v.get(kind, {}).values())]
        layers = sorted({l for n in names for l in table[n][kind]})
        width = 0.8 / max(1, len(layers))
        for j, l in enumerate(layers):
            vals = [table[n][kind].get(l, {}).get("mean", np.nan) for n in names]
            ax.bar(np.arange(len(names)) + j * width, vals, width, label=l)
        ax.set_xticks(np.arange(len(names)) + 0.4 - width / 2)
        ax.set_xticklabels(names, rotation=60, ha="right", fontsize=8)
        ax.set_ylabel("degrees (mean over seeds)")
        ax.set_title(kind.replace("_", " "))
        ax.axhline(90, color="grey", lw=0.5)
        if layers:
            ax.legend(fontsize=7)
    fig.tight_layout()
    with atomic_open(out / "family_alignment.png", "wb") as fh:  # as _experiments saves its figures
        fig.savefig(fh, format="png", dpi=110)
    plt.close(fig)
