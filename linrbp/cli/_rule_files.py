"""``--rules FILE.py`` (simulate, derive, train): import a researcher's file of rule statements.

The file (or an importable module name) builds :class:`linrbp.Rule` objects and registers them
with :func:`linrbp.register_rule`; afterwards instance files and ``--rule`` accept their names.
A file that is missing, is not a .py file, does not import, exits on import or registers no rule
is bad input (one line, exit 2; :func:`linrbp.core._userfiles.import_user_file`).
"""

from __future__ import annotations

import os

from ..core._errors import InputError
from ..core._userfiles import import_user_file, looks_like_file, ship_by_value

__all__ = ["add_rules_option", "load_rule_files", "add_rule_options", "parse_params", "resolve_rule",
           "load_instance_with_options"]


def add_rules_option(p) -> None:
    p.add_argument("--rules", action="append", default=[], metavar="FILE.py",
                   help="import a Python file (or module) that registers rules with "
                   "linrbp.register_rule before the command runs (repeatable; default: none; "
                   "docs/rules.md)")


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
        module = import_user_file(path, "rules", "_linrbp_user_rules")
        ship_by_value(module)
        new = [n for n, r in RULES.items() if before.get(n) is not r]
        if not new:
            raise InputError(f"rules: {path}: registers no rule (call linrbp.register_rule)")
        _LOADED[key] = {n: RULES[n] for n in new}
        added += new
    return added


_LOADED: dict = {}  # file (or module) -> the rules it registered, so loading it twice works


# -- --rule / --rules / --param: one way to choose a rule, for every command ------------------
def add_rule_options(p, *, rule: bool = True, default: str | None = None, rule_help: str | None = None) -> None:
    """``--rule NAME`` (unless ``rule`` is False), ``--rules FILE.py`` and ``--param NAME=VALUE``.

    ``default``: the rule when --rule is not given (None: the instance file's)."""
    if rule:
        p.add_argument("--rule", default=default, metavar="NAME",
                       help=rule_help or ("any registered rule (built in: bp, rbp, srbp, arbp, asrbp, "
                                          "kolen-pollack, weight-mirror, sign-symmetry, usf, top-only) "
                                          "or one from --rules (default: "
                                          + (default if default else "the instance file's rule") + ")"))
    add_rules_option(p)
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="set a parameter of the rule, e.g. --param weight_decay=0.1 (repeatable; "
                   "wins over the instance file's value; default: the file's value, else the "
                   "rule's default; docs/rules.md lists each rule's parameters)")


def parse_params(texts, exact: bool = False) -> dict:
    """['weight_decay=0.1', ...] -> {'weight_decay': 0.1}; InputError for text not NAME=VALUE or
    a name given twice. A VALUE that is not a number is passed on as text, so the rule's own
    check names the problem. ``exact``: sympy rationals (for derivations) instead of floats."""
    out: dict = {}
    for text in texts or []:
        name, eq, value = str(text).partition("=")
        name, value = name.strip(), value.strip()
        if not eq or not name or not value:
            raise InputError(f"param: expected NAME=VALUE (e.g. weight_decay=0.1), got {text!r}")
        if name in out:
            raise InputError(f"param: {name} is given twice")
        out[name] = _number(value, exact)
    return out


def _number(text: str, exact: bool):
    if exact:  # 0.1 -> 1/10, 1/4 -> 1/4: a derivation keeps exact rationals
        import sympy
        try:
            return sympy.Rational(text)
        except (TypeError, ValueError):
            pass
    try:
        return float(text)
    except ValueError:
        return text  # the rule's check says what it expected


def resolve_rule(args, instance=None, default: str | None = None, exact: bool = False):
    """The :class:`linrbp.Rule` a command runs: ``--rule`` (else the instance's rule, else
    ``default``) with the instance's parameters, then ``--param`` on top (the command line
    wins). InputError (the rule's own one-line message) for an unknown name or a bad value.
    Rule files (``--rules``) must be loaded before."""
    from ..core._rules import get_rule

    name = getattr(args, "rule", None)
    if name is None:
        name = instance.system.rule if instance is not None else default
    if name is None:
        raise InputError("rule: missing (give --rule NAME)")
    rule = get_rule(name)
    params = parse_params(getattr(args, "param", None), exact)
    if instance is not None and instance.system.rule.name == rule.name:
        keep = {k: v for k, v in dict(instance.system.rule.values).items() if k not in params}
        if keep:
            rule = rule.with_parameters(**keep)
    return rule.with_parameters(**params) if params else rule


def apply_rule_options(data, args):
    """The instance data ``data`` (a dict, changed in place and returned) with ``--rule`` and
    ``--param`` applied: the command line wins over the file. Teacher-student files and linear
    instance files take the same options."""
    name = getattr(args, "rule", None)
    params = parse_params(getattr(args, "param", None))
    if name is not None:
        data["rule"] = name
    if params and isinstance(data.get("rule"), str):
        from ..core._rules import get_rule

        get_rule(data["rule"]).with_parameters(**params)  # the rule's message for a bad name/value
        data.update(params)
    return data


def load_instance_with_options(path, args, data=None):
    """The instance file at ``path`` (or its already loaded ``data``) with ``--rule`` and
    ``--param`` applied (the command line wins over the file; the Instance's rule carries the
    values used). InputError as :func:`linrbp.parse_instance` and :func:`resolve_rule`."""
    from ..core._io import load_json_file
    from ..instances._instance import parse_instance

    if data is None:
        data = load_json_file(path)
    if not isinstance(data, dict):
        return parse_instance(data)  # its own message
    if parse_params(getattr(args, "param", None)) and not isinstance(
            data.get("rule") if getattr(args, "rule", None) is None else args.rule, str):
        return parse_instance(data)  # the file's own problem first
    return parse_instance(apply_rule_options(data, args))
