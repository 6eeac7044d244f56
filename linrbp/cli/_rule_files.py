"""``--rules FILE.py`` (simulate, derive, train): import a researcher's file of rule statements.

The file (or an importable module name) builds :class:`linrbp.Rule` objects and registers them
with :func:`linrbp.register_rule`; afterwards instance files and ``--rule`` accept their names.
A file that is missing, does not import, or registers no rule is bad input (one line, exit 2).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys

from ..core._errors import InputError

__all__ = ["add_rules_option", "load_rule_files"]


def add_rules_option(p) -> None:
    p.add_argument("--rules", action="append", default=[], metavar="FILE.py",
                   help="import a Python file (or module) that registers rules with "
                   "linrbp.register_rule before the command runs (repeatable; docs/rules.md)")


def load_rule_files(paths) -> list[str]:
    """Import each file or module; returns the names of the rules they registered."""
    from ..core._rules import RULES

    added: list[str] = []
    for path in paths or []:
        before = dict(RULES)
        try:
            if path.endswith(".py") or os.sep in path:
                if not os.path.isfile(path):
                    raise InputError("no such file")
                spec = importlib.util.spec_from_file_location(
                    f"_linrbp_user_rules_{abs(hash(os.path.abspath(path)))}", path)
            else:  # a module on the path: the same loading, found by name
                spec = importlib.util.find_spec(path)
                if spec is None:
                    raise InputError("no such file or module")
            module = importlib.util.module_from_spec(spec)
            sys.modules.setdefault(spec.name, module)
            spec.loader.exec_module(module)
        except InputError as exc:
            raise InputError(f"rules: {path}: {exc}") from None
        except SyntaxError as exc:
            raise InputError(f"rules: {path}: syntax error at line {exc.lineno}: {exc.msg}") from None
        except ModuleNotFoundError as exc:
            raise InputError(f"rules: {path}: cannot import ({exc})") from None
        except Exception as exc:  # the user's file raised: bad input, named
            raise InputError(f"rules: {path}: raised {type(exc).__name__} on import: {exc}") from None
        new = [n for n, r in RULES.items() if before.get(n) is not r]
        if not new:
            raise InputError(f"rules: {path}: registers no rule (call linrbp.register_rule)")
        added += new
    return added
