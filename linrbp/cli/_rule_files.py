"""``--rules FILE.py`` (simulate, derive, train): import a researcher's file of rule statements.

The file (or an importable module name) builds :class:`linrbp.Rule` objects and registers them
with :func:`linrbp.register_rule`; afterwards instance files and ``--rule`` accept their names.
A file that is missing, is not a .py file, does not import, exits on import or registers no rule
is bad input (one line, exit 2; :func:`linrbp.core._userfiles.import_user_file`).
"""

from __future__ import annotations

import os

from ..core._errors import InputError
from ..core._userfiles import import_user_file, looks_like_file

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
        key = os.path.abspath(path) if looks_like_file(path) else path
        for name in _LOADED.get(key, ()):  # loaded again (in one process): its rules are replaced
            if RULES.get(name) is _LOADED[key][name]:
                del RULES[name]
        before = dict(RULES)
        import_user_file(path, "rules", "_linrbp_user_rules")
        new = [n for n, r in RULES.items() if before.get(n) is not r]
        if not new:
            raise InputError(f"rules: {path}: registers no rule (call linrbp.register_rule)")
        _LOADED[key] = {n: RULES[n] for n in new}
        added += new
    return added


_LOADED: dict = {}  # file (or module) -> the rules it registered, so loading it twice works
