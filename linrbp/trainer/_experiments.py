"""Named experiment sets (EXPERIMENTS.md): each a list of variants run over seeds.

Every finished run is written atomically to ``OUT/runs/<variant>-seed<k>.json``; a rerun skips
runs already there (after checking they were made with the same configuration), so an
interrupted set resumes. ``summary.json``/``summary.md`` hold mean and spread over seeds;
``accuracy_curves.png`` and ``accuracy_by_variant.png`` the plots.

Runs are tasks of :func:`linrbp.core._executor.run_tasks` (serial, local processes or a Dask
cluster); each returns its result to this process, which writes it, so workers need the data
set but not the output directory, and a run draws only from its own seed: the records do not
depend on what ran them (only their timing fields do).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..core._errors import InputError
from ..core._checks import check_selection
from ..core._executor import Interrupted, Task, check_workers, resolve_scheduler, run_tasks
from ..core._io import atomic_open, atomic_write_json, atomic_write_text, check_output_dir, check_output_file
from ._config import TrainConfig
from ._data import load_dataset
from ._family import family_variants
from ._train import train

__all__ = ["EXPERIMENTS", "PRESETS", "experiment_variants", "run_experiments", "summarise"]

# The paper's protocol, and a quick one (a Fashion-MNIST subset, few epochs).
PRESETS = {
    "paper": {},
    "quick": {"limit_train": 5000, "limit_test": 2000, "epochs": 4},
}

_RULES = ("bp", "rbp", "srbp", "arbp", "asrbp")


def _variants() -> dict:
    v = {r: {"rule": r} for r in _RULES}
    v.update({f"{r}-no-fprime": {"rule": r, "derivative": False} for r in _RULES})
    v["top-only"] = {"rule": "top-only"}
    for dist in ("uniform", "binary", "binary01"):
        v[f"srbp-{dist}"] = {"rule": "srbp", "feedback": dist}
    # softmax errors sum to zero over classes, so a constant shift of C_h's rows is invisible
    # to SRBP; the non-zero-mean laws are therefore also run under RBP
    v["srbp-mean-1"] = {"rule": "srbp", "feedback_mean": 1.0}
    v["rbp-mean-1"] = {"rule": "rbp", "feedback_mean": 1.0}
    v["rbp-binary01"] = {"rule": "rbp", "feedback": "binary01"}
    v["rbp-sparse-0.1"] = {"rule": "rbp", "feedback_sparsity": 0.1}
    v["rbp-sparse-1-per-row"] = {"rule": "rbp", "feedback_sparsity": 0.001}
    v["srbp-sparse-1-per-row"] = {"rule": "srbp", "feedback_sparsity": 0.001}
    for r in ("rbp", "srbp"):
        v[f"{r}-resample-batch"] = {"rule": r, "resample": "batch"}
        v[f"{r}-sign-concordant"] = {"rule": r, "resample": "sign-concordant"}
    v["srbp-sign-only"] = {"rule": "srbp", "hidden_update": "sign"}
    v["srbp-abs-only"] = {"rule": "srbp", "hidden_update": "abs"}
    v["srbp-per-synapse"] = {"rule": "srbp", "per_synapse": True}
    v["srbp-frozen-layer-2"] = {"rule": "srbp", "freeze_layer": 2}
    for r in ("bp", "rbp", "srbp"):
        v[f"{r}-dropout-0.5"] = {"rule": r, "dropout": 0.5}
    return v


def _bits(full: bool) -> dict:
    bits = (1, 2, 3, 4, 6, 8, 10, 12) if full else (1, 3, 6, 10)
    v = {}
    for r in ("bp", "rbp", "srbp"):
        v[f"{r}-float"] = {"rule": r}
        v.update({f"{r}-{b}-bits": {"rule": r, "error_bits": b} for b in bits})
        # the same bits on each example's share of the batch-mean gradient, delta_h / B
        v.update({f"{r}-{b}-bits-batch-mean": {"rule": r, "error_bits": b, "error_scale": "batch-mean"}
                  for b in bits})
    return v


def _updates(full: bool) -> dict:
    bits = (4, 6, 8, 10, 12, 16) if full else (6, 10, 16)
    v = {}
    for r in ("bp", "rbp", "srbp"):
        v.update({f"{r}-{b}-bits": {"rule": r, "update_bits": b} for b in bits})
    return v


def _activations() -> dict:
    return {f"{r}-{a}": {"rule": r, "activation": a}
            for a in ("tanh", "logistic", "relu", "linear") for r in ("bp", "rbp", "srbp", "top-only")}


EXPERIMENTS = {
    "variants": "EXPERIMENTS.md variants 1-9: every rule with/without f', feedback laws, "
                "resampling, sign-concordance, sign/abs-only, per-synapse, frozen layer, dropout",
    "bits": "variant 11: error signals quantised to 1..12 bits (alpha = 2^-3), BP/RBP/SRBP, on each "
            "example's signal and on its share of the batch-mean gradient",
    "updates": "variant 12: per-example weight updates quantised (alpha = 2^-6), fixed lr 0.1",
    "activations": "variant 10: tanh, logistic, ReLU, linear hidden units under BP/RBP/SRBP/top-only",
    "family": "the wider family (sign-symmetry, uSF, brSF, frSF, Kolen-Pollack, weight mirrors, "
              "DTP, SDTP, AO-SDTP) next to BP, RBP, SRBP and top-only",
    "rules": "the rules named by --only R1,R2,... (built in, of the wider family, or registered by "
             "--rules FILE.py; default bp, rbp, srbp, arbp, asrbp), each trained with the preset",
}


def experiment_variants(name: str, quick: bool = False, only=None) -> dict:
    """variant name -> config overrides of one named set (``rules``: one per rule in ``only``)."""
    if name == "rules":
        if not only:  # the rules of [BSL]
            return {r: {"rule": r} for r in _RULES}
        from ..core._rules import RULES
        from ._config import TRAIN_RULES
        bad = [r for r in only if r not in RULES and r not in TRAIN_RULES]
        if bad:
            known = ", ".join(dict.fromkeys(TRAIN_RULES + tuple(RULES)))
            raise InputError(f"only: unknown rule(s) {', '.join(bad)} (known: {known}; a rule of "
                             "your own needs --rules FILE.py)")
        return {r: {"rule": r} for r in only}
    if name == "variants":
        return _variants()
    if name == "bits":
        return _bits(not quick)
    if name == "updates":
        return _updates(not quick)
    if name == "activations":
        return _activations()
    if name == "family":
        return family_variants()
    raise InputError(f"experiment: unknown set {name!r} (expected one of {', '.join(EXPERIMENTS)})")


def _load_run(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None  # unreadable leftovers are rerun


_DATASETS: dict = {}  # per process: the dataset a worker already loaded


def _dataset(cfg: TrainConfig):
    key = (cfg.dataset, cfg.data_dir, cfg.data_seed)
    if key not in _DATASETS:
        _DATASETS.clear()
        _DATASETS[key] = load_dataset(*key)
    return _DATASETS[key]


def _shipped_rule(cfg: TrainConfig):
    """The researcher's registered rule a run needs (None for the built-in rules): it travels
    with the task (by value, see :class:`linrbp.Rule`), since a Dask worker never imported
    the --rules file."""
    from ..core._rules import BUILTIN_RULES, RULES

    r = RULES.get(cfg.rule)
    return None if r is None or cfg.rule in BUILTIN_RULES else r


def _split_params(variants: dict, params: dict) -> dict:
    """variant -> the ``params`` its rule has; InputError for a name no rule of the set has."""
    from ..core._rules import RULES
    from ._family import FAMILY

    def names(rule):
        if rule in FAMILY:
            return tuple(FAMILY[rule].defaults)
        return () if rule == "top-only" or rule not in RULES else RULES[rule].parameter_names

    out = {v: {k: x for k, x in params.items() if k in names(over.get("rule", "bp"))}
           for v, over in variants.items()}
    for k in params:
        if not any(k in got for got in out.values()):
            rules = list(dict.fromkeys(over.get("rule", "bp") for over in variants.values()))
            raise InputError(f"{k}: no rule of this set has a parameter {k!r} (rules: {', '.join(rules)})")
    return out


def _run_one(variant: str, cfg: TrainConfig, progress=False, device=None, rule=None) -> dict:
    """Train one configuration; its result (the caller writes it). ``rule``: a researcher's
    rule to register here first (a worker process that never loaded their file)."""
    if rule is not None:
        from ..core._rules import RULES, register_rule
        if RULES.get(rule.name) is not rule:
            register_rule(rule, replace_existing=True)
    res = train(cfg, _dataset(cfg), progress=progress, device=device)
    res["variant"] = variant
    return res


def estimate_seconds(todo, workers: int, device=None, n_time: int = 1000) -> dict:
    """How long the runs ``todo`` [(key, config, path)] take: one SGD pass over ``n_time``
    training images of the first configuration is timed here and scaled to every run's
    epochs x images (all runs are assumed to cost what the first does per image)."""
    import time

    from ._train import prepare, run_epoch
    cfg0 = todo[0][1]
    ds = _dataset(cfg0)
    net, data = prepare(cfg0, ds, device)
    n = min(n_time, len(data["x_train"]))
    t0 = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore"):
        run_epoch(net, data["x_train"][:n], data["t_train"][:n])
    per_image = (time.perf_counter() - t0) / n
    images = sum(cfg.epochs * len(ds.limited(cfg.limit_train).x_train) for _, cfg, _ in todo)
    parallel = max(1, min(workers, len(todo)))
    return {"runs": len(todo), "images": images, "images_per_s": 1.0 / per_image,
            "workers": parallel, "seconds": images * per_image / parallel, "timed_variant": todo[0][0][0]}


def format_duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def run_experiments(name: str, seeds: int = 3, out=None, quick: bool = False, base: dict | None = None,
                    only=None, progress: bool | None = None, workers: int = 1, device: str | None = None,
                    scheduler: str | None = None, executor=None, announce=None, params=None) -> dict:
    """Run (or resume) the named set of variants over seeds 0..seeds-1; returns the summary.

    The sets are :data:`EXPERIMENTS` (``linrbp experiments``). Each run is written to
    ``out/runs/`` as it finishes (a rerun skips the runs already there); the summary goes to
    ``out/summary.json`` and ``out/summary.md`` with two figures (``accuracy_curves.png``,
    ``accuracy_by_variant.png``). Every output location is checked before the first run trains.

    Parameters
    ----------
    name : str
        A set of :data:`EXPERIMENTS`. ``"rules"``: one variant per rule named in ``only`` (built
        in or registered with :func:`linrbp.register_rule`; a registered rule travels to the
        workers with each run).
    seeds : int, default 3
        Runs per variant.
    out : str or os.PathLike, optional
        Output directory; default ``experiments/<name>-<preset>``.
    quick : bool, default False
        The quick preset (5000 training and 2000 test images, 4 epochs; smaller grids for
        ``bits`` and ``updates``) instead of the paper's protocol.
    base : dict, optional
        :class:`TrainConfig` fields set on every run (over the preset).
    only : sequence of str, optional
        The variants (for ``"rules"``: the rules) to run; default all.
    progress : bool, optional
        Show progress (default: on a terminal).
    workers : int, default 1
        Runs trained at once in separate processes.
    device : str, optional
        Train with torch on that device (see :func:`train`).
    scheduler : str, optional
        Address of a Dask scheduler to run on instead.
    executor : concurrent.futures.Executor, optional
        Any executor to run on instead (same results: every run draws only from its own seed).
    announce : callable, optional
        ``announce(plan)`` is called before the first run of the full protocol with the plan
        (runs, images, measured images/s, estimated seconds).
    params : dict, optional
        ``{name: value}`` (``--param``): set on every variant whose rule has that parameter; a
        name no rule of the set has is an error.

    Returns
    -------
    dict
        ``experiment``, ``preset``, ``seeds``, ``rows`` (per variant: ``overrides``,
        ``test_accuracy`` and ``train_accuracy`` as mean/std/min/max/n over seeds, ``diverged``,
        ``seeds``), ``protocol``, ``ran``, ``skipped_existing``, ``failed_tasks`` (runs that
        raised; the others go on), ``out``.

    Raises
    ------
    ValueError
        An InputError: unknown set or variant, bad seeds, an output that cannot be written, a bad
        configuration; all before the first run.
    KeyboardInterrupt
        ``Interrupted`` on SIGINT/SIGTERM, after keeping every finished run.

    Examples
    --------
    >>> import os, tempfile
    >>> from linrbp.trainer import run_experiments
    >>> out = os.path.join(tempfile.mkdtemp(), "rules")
    >>> s = run_experiments("rules", seeds=1, out=out, quick=True, only=["bp", "top-only"], progress=False,
    ...                     base={"dataset": "teacher", "hidden": (16,), "epochs": 2, "batch_size": 10,
    ...                           "limit_train": 300, "limit_test": 200})
    >>> [(row["variant"], row["test_accuracy"]["mean"]) for row in s["rows"]]
    [('bp', 0.67), ('top-only', 0.525)]
    >>> sorted(os.listdir(out))
    ['accuracy_by_variant.png', 'accuracy_curves.png', 'runs', 'summary.json', 'summary.md']
    >>> import shutil; shutil.rmtree(os.path.dirname(out))
    """
    only = check_selection(only, "only")
    variants = experiment_variants(name, quick, only)
    if only is not None and name != "rules":
        missing = [v for v in only if v not in variants]
        if missing:
            raise InputError(f"only: unknown variant(s) {', '.join(missing)} in set {name}")
        variants = {k: variants[k] for k in only}
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise InputError(f"seeds: expected a positive integer, got {seeds!r}")
    preset = "quick" if quick else "paper"
    out = Path(out) if out is not None else Path("experiments") / f"{name}-{preset}"
    # Every output location is checked before the first run trains.
    check_output_dir(out, "out")
    check_output_dir(out / "runs", "out")
    for fname in ("summary.json", "summary.md", "accuracy_curves.png", "accuracy_by_variant.png"):
        check_output_file(out / fname, "out")
    common = dict(PRESETS[preset], **(base or {}))
    per_variant = _split_params(variants, params or {})
    configs = {}
    for vname, over in variants.items():
        for s in range(seeds):
            configs[(vname, s)] = TrainConfig(**dict(common, **over, seed=s,  # validates everything first
                                                      **({"params": per_variant[vname]} if per_variant[vname] else {})))
    runs_dir = out / "runs"
    results = {}
    todo = []
    for (vname, s), cfg in configs.items():
        path = runs_dir / f"{vname}-seed{s}.json"
        old = _load_run(path) if path.exists() else None
        if old is not None:
            if _saved_config(old) != cfg.to_dict():
                raise InputError(f"out: {path} was made with a different configuration; use another --out")
            results[(vname, s)] = old
        else:
            check_output_file(path, "out")
            todo.append(((vname, s), cfg, path))
    workers = check_workers(workers)
    if todo:  # a missing dataset fails here, once, before any worker starts
        _dataset(todo[0][1])
        if announce is not None and not quick:
            announce(estimate_seconds(todo, workers, device))
    paths = {f"{k[0]}-seed{k[1]}": (k, path) for k, _, path in todo}

    def save(task, res):
        key, path = paths[task.key]
        atomic_write_json(path, res)
        results[key] = json.loads(path.read_text())

    scheduler = resolve_scheduler(scheduler)
    serial = workers == 1 and scheduler is None and executor is None
    inner = (progress if progress is not None else None) if serial else False
    tasks = [Task(f"{k[0]}-seed{k[1]}", _run_one, (k[0], cfg, inner, device, _shipped_rule(cfg)),
                  f"variant {k[0]} seed {k[1]} of set {name} ({preset})") for k, cfg, _ in todo]
    report = run_tasks(tasks, save, workers=workers, scheduler=scheduler, executor=executor,
                       desc=f"{name} ({preset})", unit="run", initial=len(configs) - len(todo),
                       total=len(configs), progress=False if progress is False else None)
    if report.interrupted:
        raise Interrupted(f"stopped after {report.seconds:.1f} s; {len(results)} of {len(configs)} "
                          f"runs are saved in {runs_dir}; rerun the same command to resume")
    if report.failed:
        return {"experiment": name, "preset": preset, "out": str(out), "ran": len(report.done),
                "skipped_existing": len(configs) - len(todo),
                "failed_tasks": [f.to_dict() for f in report.failed]}
    summary = summarise(name, preset, variants, seeds, results)
    summary["skipped_existing"] = len(configs) - len(todo)
    summary["ran"] = len(todo)
    summary["failed_tasks"] = []
    if name == "family":  # the family set also reports every rule's alignment
        from ._family_summary import write_family_alignment
        write_family_alignment(out, summary, variants, seeds, results)
    atomic_write_json(out / "summary.json", summary)
    atomic_write_text(out / "summary.md", summary_table(summary))
    _plots(out, summary, variants, seeds, results)
    summary["out"] = str(out)
    return summary


def _saved_config(run: dict):
    """A saved run's configuration, with defaults for fields added since it was written."""
    try:
        return TrainConfig.from_dict(run.get("config") or {}).to_dict()
    except (InputError, TypeError, ValueError):
        return None


def _stat(values):
    vals = [v for v in values if isinstance(v, (int, float))]
    if not vals:
        return {"mean": None, "std": None, "min": None, "max": None, "n": 0}
    a = np.asarray(vals, dtype=float)
    return {"mean": float(a.mean()), "std": float(a.std(ddof=1)) if len(a) > 1 else 0.0,
            "min": float(a.min()), "max": float(a.max()), "n": len(a)}


def summarise(name, preset, variants, seeds, results) -> dict:
    rows = []
    for vname, over in variants.items():
        runs = [results[(vname, s)] for s in range(seeds)]
        rows.append({"variant": vname, "overrides": over,
                     "test_accuracy": _stat([r["test_accuracy"] for r in runs]),
                     "train_accuracy": _stat([r["train_accuracy"] for r in runs]),
                     "diverged": sum(r["status"] == "diverged" for r in runs),
                     "seeds": [r["seed"] for r in runs]})
    cfg0 = results[(next(iter(variants)), 0)]["config"]
    return {"experiment": name, "preset": preset, "seeds": seeds, "rows": rows,
            "protocol": {k: cfg0[k] for k in ("dataset", "hidden", "activation", "output", "epochs",
                                                "batch_size", "lr", "lr_decay", "limit_train", "limit_test",
                                                "dtype")}}


def summary_table(summary: dict) -> str:
    p = summary["protocol"]
    lines = [f"# {summary['experiment']} ({summary['preset']} preset, {summary['seeds']} seed(s))", "",
             f"protocol: {json.dumps(p)}", "",
             "| variant | test accuracy mean | std | min | max | train accuracy mean | diverged |",
             "|---|---|---|---|---|---|---|"]
    f = lambda x: "-" if x is None else f"{x:.4f}"
    for r in summary["rows"]:
        t, tr = r["test_accuracy"], r["train_accuracy"]
        lines.append(f"| {r['variant']} | {f(t['mean'])} | {f(t['std'])} | {f(t['min'])} | {f(t['max'])} "
                     f"| {f(tr['mean'])} | {r['diverged']} |")
    return "\n".join(lines) + "\n"


def panel_groups(variants, size: int = 7) -> list[list[str]]:
    """Split a set's variants, in order, into panels of at most ``size`` lines.

    Variants of one family (the name without its numbers and the words ``float`` and ``bits``:
    ``rbp-float``, ``rbp-4-bits`` and ``rbp-12-bits`` are one family) share a panel; whole
    families are packed into panels in order, and a family of more than ``size`` variants is
    split evenly.
    """
    import math

    def family(name):
        keep = [t for t in name.split("-") if t not in ("float", "bits")
                and not t.replace(".", "", 1).isdigit()]
        return "-".join(keep)

    families: list[list[str]] = []
    for v in variants:
        if families and family(families[-1][-1]) == family(v):
            families[-1].append(v)
        else:
            families.append([v])
    groups: list[list[str]] = []
    cur: list[str] = []
    for fam in families:
        if len(fam) > size:
            if cur:
                groups.append(cur)
                cur = []
            k = math.ceil(len(fam) / size)
            step = math.ceil(len(fam) / k)
            groups += [fam[i:i + step] for i in range(0, len(fam), step)]
            continue
        if len(cur) + len(fam) > size:
            groups.append(cur)
            cur = []
        cur += fam
    if cur:
        groups.append(cur)
    return groups


def _plots(out: Path, summary, variants, seeds, results) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    def mean_curve(vname):
        curves = [[h["test_accuracy"] if h["test_accuracy"] is not None else np.nan
                   for h in results[(vname, s)]["history"]] for s in range(seeds)]
        n = max(len(c) for c in curves)
        arr = np.array([c + [np.nan] * (n - len(c)) for c in curves], dtype=float)
        with np.errstate(all="ignore"):
            return np.arange(1, n + 1), np.nanmean(arr, axis=0)

    # One panel per group of related variants; the references (BP, and top-only where the set
    # has it) in grey in every panel, so each line can be told apart and compared.
    groups = panel_groups(list(variants))
    refs = [v for v in ("bp", "top-only") if v in variants][:2] or [list(variants)[0]]
    ncols = 1 if len(groups) == 1 else 2
    nrows = -(-len(groups) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(7.6 * ncols, 3.4 * nrows), squeeze=False,
                             sharey=True)
    styles = [(c, ls) for ls in ("-", "--") for c in plt.rcParams["axes.prop_cycle"].by_key()["color"][:7]]
    for ax, group in zip(axes.flat, groups):
        for ref, ls in zip(refs, ("-", ":")):
            if ref not in group:
                x, y = mean_curve(ref)
                ax.plot(x, y, color="0.55", lw=1.1, ls=ls, label=f"{ref} (reference)")
        for i, vname in enumerate(group):
            x, y = mean_curve(vname)
            color, ls = styles[i % len(styles)]
            ax.plot(x, y, color=color, ls=ls, lw=1.5, label=vname)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    for ax in axes.flat[len(groups):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel(f"test accuracy\n(mean of {seeds} seed(s))")
    fig.suptitle(f"{summary['experiment']} ({summary['preset']})")
    fig.tight_layout()
    _save(fig, out / "accuracy_curves.png")
    plt.close(fig)

    rows = summary["rows"]
    fig, ax = plt.subplots(figsize=(max(6, 0.35 * len(rows)), 5))
    means = [r["test_accuracy"]["mean"] or 0.0 for r in rows]
    stds = [r["test_accuracy"]["std"] or 0.0 for r in rows]
    ax.bar(range(len(rows)), means, yerr=stds, capsize=2)
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels([r["variant"] for r in rows], rotation=75, ha="right", fontsize=7)
    ax.set_ylabel("test accuracy (mean +- std over seeds)")
    ax.set_title(f"{summary['experiment']} ({summary['preset']})")
    fig.tight_layout()
    _save(fig, out / "accuracy_by_variant.png")
    plt.close(fig)


def _save(fig, path: Path) -> None:
    with atomic_open(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=110)
