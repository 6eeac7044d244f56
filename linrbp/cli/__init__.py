"""The ``linrbp`` command line. Each subcommand lives in its own module with ``add_parser``.

Bad input anywhere (an :class:`InputError`, or any ValueError/OSError the command lets
through) ends with one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import signal
import sys
from importlib import import_module

from ..core._version import __version__
from ..core._errors import InputError
from ..core._resources import signal_handler

# name -> module providing add_parser(subparsers). Only the module of the command being run is
# imported (and `linrbp --help` imports none): the others appear by their one line in HELP,
# which must be the help their add_parser gives (tests/test_startup.py checks).
COMMANDS = {
    "simulate": "linrbp.cli._simulate",
    "verify": "linrbp.cli._verify",
    "derive": "linrbp.cli._derive",
    "prove": "linrbp.cli._prove",
    "probe": "linrbp.cli._probe",
    "sweep": "linrbp.cli._sweep",
    "figures": "linrbp.cli._figures",
    "portrait": "linrbp.cli._portrait",
    "basins": "linrbp.cli._basins",
    "train": "linrbp.cli._train",
    "experiments": "linrbp.cli._experiments",
    "bench": "linrbp.cli._bench",
    "docs": "linrbp.cli._docs",
    "certify": "linrbp.cli._certify",
    "check-certificate": "linrbp.cli._check_certificate",
}
HELP = {
    "simulate": "integrate an instance file until convergence, divergence or t_max",
    "verify": "check every claim of docs/theory.md on random instances",
    "derive": "derive a system's ODE, invariants and Q(a1) symbolically",
    "prove": "run the machine-checked proof of each claim",
    "probe": "sweep random single-hidden-layer instances: do A1, A2 converge individually?",
    "sweep": "integrate many random starts of an instance's system and group their limits",
    "figures": "draw the phase portraits, basin maps and convergence plots",
    "portrait": "phase portrait of an instance's system in the plane of two state coordinates",
    "basins": "basin map of an instance's system in the plane of two state coordinates",
    "train": "train a non-linear network with BP, RBP, SRBP, ARBP, ASRBP, top-only or a rule of the "
             "wider family",
    "experiments": "run a named set of trainer variants over seeds (resumable)",
    "bench": "benchmark the batched integrator (and the symbolic and trainer parts)",
    "docs": "build the documentation site (needs a source checkout and linrbp[docs])",
    "certify": "certify the limits of chain111 and chain instances in ball arithmetic (exact inputs)",
    "check-certificate": "re-check certificates with exact rational arithmetic and Sturm sequences "
                         "(independent)",
}


class _ShowDefaults:
    """Every option's help ends with its default unless it states one."""

    def _get_help_string(self, action):
        text = action.help or ""
        default = action.default
        if ("default" in text or not action.option_strings or default is None or default is False
                or default is argparse.SUPPRESS or isinstance(action, argparse._HelpAction)):
            return text
        shown = ",".join(map(str, default)) if isinstance(default, (tuple, list)) else default
        return f"{text} (default {shown})" if text else f"default {shown}"


class HelpFormatter(_ShowDefaults, argparse.HelpFormatter):
    """argparse's layout, with every default shown."""


class RawHelpFormatter(_ShowDefaults, argparse.RawDescriptionHelpFormatter):
    """Descriptions and epilogs as written, with every default shown."""


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message):  # argparse's own errors: one line naming the problem, exit 2
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _command_of(argv) -> str | None:
    """The subcommand named in ``argv`` (the top level's options take no values), if any."""
    for a in argv:
        if not a.startswith("-"):
            return a if a in COMMANDS else None
    return None


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full parser; with ``only`` (a command name, or "" for none) the other commands are
    one-line entries that import nothing."""
    parser = _Parser(
        prog="linrbp",
        description="Random backpropagation in linear networks: derive, integrate and verify "
        "the averaged learning dynamics of Baldi, Sadowski & Lu (2018), and train "
        "non-linear networks with every learning-channel variant.",
    )
    parser.add_argument("--version", action="version", version=f"linrbp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, module in COMMANDS.items():
        if only is None or name == only:
            import_module(module).add_parser(sub)
        else:
            sub.add_parser(name, help=HELP[name])
    return parser


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_command_of(argv) or "")
    args, extra = parser.parse_known_args(argv)
    if extra:
        # Name the subcommand whose arguments were wrong, not the top-level program.
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        (sub.choices.get(args.command) or parser).error(f"unrecognized arguments: {' '.join(extra)}")
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    with signal_handler(signal.SIGTERM, _sigterm_as_ctrl_c):
        return _run(args)


def _sigterm_as_ctrl_c(signum, frame):
    """SIGTERM stops a command like Ctrl-C (KeyboardInterrupt: keep what is done, exit 130)."""
    raise KeyboardInterrupt()


def _run(args) -> int:
    """The command, with its errors as one line and an exit status."""
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler
        return code
    except BrokenPipeError:
        # The reader went away (`linrbp ... | head`): not an error; stop quietly, as Unix tools do.
        _silence_stdout()
        return 141  # 128 + SIGPIPE, what a shell reports for a tool killed by the closed pipe
    except (InputError, ValueError) as exc:
        msg = " ".join(str(exc).split())
        print(f"linrbp {args.command}: error: {msg}", file=sys.stderr)
        return 2
    except OSError as exc:
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"linrbp {args.command}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM; a sweep says what it kept
        detail = f": {exc}" if str(exc) else ""
        print(f"linrbp {args.command}: interrupted{detail}", file=sys.stderr)
        return 130


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    import os
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


if __name__ == "__main__":
    sys.exit(main())
