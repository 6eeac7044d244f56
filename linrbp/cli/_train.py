"""``linrbp train``: train one non-linear network under one learning-channel variant."""

from __future__ import annotations

import argparse
import textwrap

from . import RawHelpFormatter
from ..core._checks import check_seed
from ..core._io import atomic_write_json, check_output_option


def _hidden(text: str):
    try:
        sizes = tuple(int(s) for s in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated layer sizes, got {text!r}") from None
    if not sizes or any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be positive, got {text!r}")
    return sizes


def add_variant_options(p) -> None:
    """Options shared by ``train`` and ``experiments`` (the latter uses the data options only)."""
    p.add_argument("--dataset", choices=["fashion-mnist", "idx", "teacher", "teacher-binary"],
                   default="fashion-mnist",
                   help="fashion-mnist (Debian package dataset-fashion-mnist), idx (any MNIST-format "
                        "IDX directory, --data-dir), teacher (seeded synthetic task) or teacher-binary "
                        "(its two-class version, for kickback)")
    p.add_argument("--data-dir", metavar="D", help="IDX directory (for --dataset idx or another Fashion-MNIST copy)")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                   help="floating-point type of the network and data")
    p.add_argument("--device", metavar="DEV",
                   help="train with torch on this device (cuda, cuda:1, cpu; torch must be installed): "
                        "the same random draws as the default numpy backend, so the same runs up to "
                        "rounding; for bp, rbp, srbp, arbp, asrbp and top-only")


def add_parser(sub):
    from ..trainer import ACTIVATIONS, DISTRIBUTIONS, OUTPUTS, PAPER, RESAMPLING, TRAIN_RULES
    from ..trainer._family import family_help
    p = sub.add_parser(
        "train", help="train a non-linear network with BP, RBP, SRBP, ARBP, ASRBP, top-only or a "
        "rule of the wider family",
        formatter_class=RawHelpFormatter,
        epilog="the wider family (--rule):\n" + family_help(),
        description=textwrap.fill("Train an MLP with one learning-channel variant of EXPERIMENTS.md. Defaults are "
        f"the protocol of {PAPER['reference']}: 784-100x4-10 tanh, softmax cross-entropy, Glorot "
        "normal init, plain SGD, batch 100, lr 0.1/(1 + 1e-6 t), 100 epochs. Prints the final "
        "accuracies; --json writes accuracies, per-epoch history, alignment angles per layer, the "
        "full configuration and the seed.", 90))
    p.add_argument("--rule", default="bp", metavar="RULE",
                   help="learning rule (default bp): " + ", ".join(TRAIN_RULES) + ", or one registered "
                   "by --rules; top-only trains the output layer only; the wider family is listed below")
    from ._rule_files import add_rule_options
    add_rule_options(p, rule=False)
    p.add_argument("--no-derivative", action="store_true", help="drop f' from the backward signals (no f')")
    add_variant_options(p)
    p.add_argument("--hidden", type=_hidden, default=PAPER["hidden"], help="hidden sizes, e.g. 100,100,100,100")
    p.add_argument("--activation", choices=ACTIVATIONS, default=PAPER["activation"], help="hidden units")
    p.add_argument("--output", choices=OUTPUTS, default=PAPER["output"],
                   help="softmax + cross-entropy, linear + squared error, or sigmoid + binary "
                        "cross-entropy per output unit")
    p.add_argument("--no-bias", action="store_true", help="networks without biases")
    p.add_argument("--epochs", type=int, default=PAPER["epochs"], help="passes over the training set")
    p.add_argument("--batch-size", type=int, default=PAPER["batch_size"], help="examples per SGD step")
    p.add_argument("--lr", type=float, default=PAPER["lr"], help="initial learning rate")
    p.add_argument("--lr-decay", type=float, default=PAPER["lr_decay"], help="lr_t = lr / (1 + decay t)")
    p.add_argument("--limit-train", type=int, metavar="N", help="use the first N training examples")
    p.add_argument("--limit-test", type=int, metavar="N", help="use the first N test examples")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of every random draw (initial weights, feedback, order, dropout)")
    p.add_argument("--feedback", choices=DISTRIBUTIONS, default="gaussian", help="law of the feedback entries")
    p.add_argument("--feedback-mean", type=float, default=0.0, help="mean of the entries, in standard deviations")
    p.add_argument("--feedback-sparsity", type=float, metavar="F",
                   help="fraction of non-zero entries per row (at least one)")
    p.add_argument("--resample", choices=RESAMPLING, default="none",
                   help="redraw feedback every mini-batch (batch), or with signs of the forward weights")
    p.add_argument("--hidden-update", choices=["full", "sign", "abs"], default="full",
                   help="keep only the sign (times the mean magnitude) or the absolute value of hidden updates")
    p.add_argument("--per-synapse", action="store_true", help="SRBP with a random feedback vector per synapse")
    p.add_argument("--freeze-layer", type=int, metavar="H", help="do not train layer H (1-based)")
    p.add_argument("--dropout", type=float, default=0.0, help="dropout probability in the learning channel")
    p.add_argument("--error-bits", type=int, help="quantise hidden backward signals (alpha = 2^-3)")
    p.add_argument("--error-scale", choices=["example", "batch-mean"], default="example",
                   help="what --error-bits quantises: each example's signal delta_h, or its "
                        "share delta_h / B of the batch-mean loss's gradient")
    p.add_argument("--update-bits", type=int,
                   help="quantise per-example updates (alpha = 2^-6); the learning rate is then fixed")
    p.add_argument("--weight-decay", type=float, metavar="WD",
                   help="kolen-pollack: decay A and C by (1 - lr WD) each step (default 0.01)")
    p.add_argument("--weight-decay-order", choices=["after", "before"], default="after",
                   help="kolen-pollack: decay after the step, W <- (1 - lr WD)(W + lr dW) (default: "
                        "after), or before it as Akrout et al. 2019, W <- W + lr dW - lr WD W; they "
                        "differ by lr^2 WD dW per step")
    p.add_argument("--align-examples", type=int, default=1000, help="probe examples for the alignment angles")
    p.add_argument("--json", metavar="OUT", help="write the result as JSON")
    p.add_argument("--no-progress", action="store_true",
                   help="hide the progress bar on stderr (shown by default when stderr is a terminal)")
    p.set_defaults(func=run)


def config_from_args(args):
    from ..trainer import TrainConfig
    from ._rule_files import parse_params
    return TrainConfig(params=parse_params(getattr(args, "param", None)),
        rule=args.rule, derivative=not args.no_derivative, dataset=args.dataset, data_dir=args.data_dir,
        hidden=args.hidden, activation=args.activation, output=args.output, bias=not args.no_bias,
        epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, lr_decay=args.lr_decay,
        limit_train=args.limit_train, limit_test=args.limit_test, seed=args.seed, dtype=args.dtype,
        feedback=args.feedback, feedback_mean=args.feedback_mean, feedback_sparsity=args.feedback_sparsity,
        resample=args.resample, hidden_update=args.hidden_update, per_synapse=args.per_synapse,
        freeze_layer=args.freeze_layer, dropout=args.dropout, error_bits=args.error_bits,
        error_scale=args.error_scale, update_bits=args.update_bits, align_examples=args.align_examples, weight_decay=args.weight_decay,
        weight_decay_order=args.weight_decay_order)


def run(args) -> int:
    from ..trainer import train
    from ._rule_files import load_rule_files

    load_rule_files(args.rules)  # before the rule name is checked: it may be one of theirs
    check_seed(args.seed, "--seed")
    check_output_option(args.json, "--json")
    cfg = config_from_args(args)
    print(f"linrbp train: rule {cfg.rule}"
          + (" (" + ", ".join(f"{k} = {v:g}" for k, v in cfg.params) + ")" if cfg.params else "")
          + f", seed {cfg.seed}, dataset {cfg.dataset}")
    from ..trainer._checkpoint import checkpoint_path

    ckpt = checkpoint_path(args.json) if args.json else None
    res = train(cfg, progress=False if args.no_progress else None, device=args.device,
                checkpoint=ckpt, interruptible=True)
    if res.get("resumed_from_epoch"):
        print(f"  resumed         after epoch {res['resumed_from_epoch']} from {ckpt}")
    f = lambda x: "-" if x is None else f"{x:.4f}"
    print(f"  status          {res['status']} after {len(res['history'])} epoch(s), {res['updates']} updates")
    print(f"  train accuracy  {f(res['train_accuracy'])}")
    print(f"  test accuracy   {f(res['test_accuracy'])}")
    for kind, angles in (res["alignment"] or {}).items():
        txt = ", ".join(f"{k} {('-' if v is None else f'{v:.1f}')}" for k, v in angles.items())
        angle = kind in ("update_vs_bp", "feedback_vs_forward", "srbp_target")
        print(f"  {'angles ' if angle else ''}{kind}: {txt}{' (degrees)' if angle else ''}")
    if args.json:
        atomic_write_json(args.json, res, "--json")
        print(f"  wrote {args.json}")
    if res["status"] == "interrupted":
        from ..core._executor import Interrupted

        done = len(res["history"])
        kept = (f"; they are kept in {args.json} and {ckpt}, and the same command resumes" if args.json
                else "; nothing was kept (with --json OUT the same command resumes)")
        raise Interrupted(f"stopped after {done} of {cfg.epochs} epochs{kept}")
    return 0
