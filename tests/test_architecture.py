"""The package's import graph: no circles, and no import from a lower layer into a higher one.

Every module of linrbp (and the proofs/ scripts, the package linrbp.proofs) is parsed with
``ast``; every import counts, at module level or inside a function (only ``if TYPE_CHECKING:``
blocks, which never run, are left out). Importing ``a.b.c`` also runs the packages ``a.b``'s ``__init__``, so that is an
edge too, except for the importer's own enclosing packages (already initialising). A call of
``import_module`` with a computed name is resolved through the module names written in that
module as strings (absolute, or relative like ``"._kickback"``); a computed name with none
fails the test, since the graph could not see what it imports.

The ``linrbp/__init__`` facade is exempt: it may name every layer (lazily), and nothing inside
the package may import it (``from .. import x`` of a submodule x is fine).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "linrbp"

# Lowest first; a module may import its own layer and those below, never one above.
LAYERS = [
    ["core", "checker"],  # checker: the certificates' independent checker (standard library only)
    ["integration"],
    ["closed_forms"],
    ["instances", "symbolic", "strategies"],
    ["teacher_student"],  # two-layer non-linear networks: core (rules) and instances' helpers
    ["catalogue"],
    ["certify"],  # ball-arithmetic certificates (python-flint); draws as the catalogue's checks
    ["trainer"],  # imports only core; the claims check it against the averaged field
    ["claims"],
    ["proof", "proofs"],  # linrbp.proofs: the proofs/<id>.py scripts
    ["sweeps"],
    ["plots"],
    ["report"],  # the HTML verification report (reads claims results, draws figures)
    ["benchmarks", "report"],  # report: the HTML verification report
    ["cli", "__main__"],
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _modules() -> dict[str, tuple[Path, bool]]:
    mods = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        mods[".".join(parts[:-1] if is_pkg else parts)] = (path, is_pkg)
    for path in sorted((ROOT / "proofs").glob("*.py")):  # the package linrbp.proofs
        mods[f"linrbp.proofs.{path.stem}"] = (path, False)
    return mods


MODULES = _modules()


def _resolve(name: str | None, level: int, module: str, is_pkg: bool) -> str:
    if level == 0:
        return name or ""
    base = module.split(".") if is_pkg else module.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _walk(tree: ast.AST):
    """Every node except those under ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _imports(module: str) -> tuple[list[tuple[str, int]], list[str]]:
    """([(imported module, line)], [problems]) of one module, as written."""
    path, is_pkg = MODULES[module]
    tree = ast.parse(path.read_text(), str(path))
    out, problems, dynamic = [], [], []
    strings = set()
    for node in _walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node.module, node.level, module, is_pkg)
            out.append((base, node.lineno))
            out += [(f"{base}.{a.name}", node.lineno) for a in node.names if f"{base}.{a.name}" in MODULES]
        elif isinstance(node, ast.Call):
            fn = node.func
            name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else ""
            if name in ("import_module", "__import__"):
                arg = node.args[0] if node.args else None
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    out.append((arg.value, node.lineno))
                else:
                    dynamic.append(node.lineno)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            strings.add((node.value, node.lineno))
    if dynamic:
        named = []
        for s, line in strings:
            target = _resolve(s.lstrip("."), len(s) - len(s.lstrip(".")), module, is_pkg) if s.startswith(".") else s
            if target in MODULES and target not in (module, "linrbp"):
                named.append((target, line))
        if not named:
            problems.append(f"{module}:{dynamic[0]}: import_module of a computed name that names no module")
        out += named
    return [(t, line) for t, line in out if t.split(".")[0] == "linrbp"], problems


def _graph():
    edges: dict[str, dict[str, int]] = {m: {} for m in MODULES}
    problems = []
    for module in MODULES:
        targets, bad = _imports(module)
        problems += bad
        for target, line in targets:
            if target == "linrbp":
                if module != "linrbp":
                    problems.append(f"{module}:{line}: imports the linrbp facade; import the defining module")
                continue
            if target not in MODULES:
                problems.append(f"{module}:{line}: imports {target}, which is not a module of the package")
                continue
            parts = target.split(".")
            for k in range(2, len(parts) + 1):  # the target and the packages it initialises
                t = ".".join(parts[:k])
                if t != module and not module.startswith(t + ".") and t in MODULES:
                    edges[module].setdefault(t, line)
    return edges, problems


EDGES, PROBLEMS = _graph()


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if module == "linrbp":
        return None
    return RANK.get(parts[1])


def _cycles(edges) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = 0
    for start in edges:
        if start in index:
            continue
        work = [(start, iter(edges[start]))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(edges[w])))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def test_the_graph_sees_the_package():
    # A walker that found nothing would pass everything: it must see the known structure.
    assert len(MODULES) > 80 and "linrbp.core._rules" in MODULES and "linrbp.proofs.chain" in MODULES
    assert "linrbp.core._rules" in EDGES["linrbp.trainer._network"]
    assert "linrbp.catalogue._catalogue" in EDGES["linrbp.claims.chain"]
    assert "linrbp.proof" in EDGES["linrbp.proofs.chain"] and "linrbp.proofs.saxe" in EDGES["linrbp.proof.registry"]
    assert any(t.startswith("linrbp.cli._") for t in EDGES["linrbp.cli"])  # COMMANDS, by name


def test_every_module_has_a_layer():
    assert [m for m in MODULES if m != "linrbp" and _layer(m) is None] == []


def test_imports_are_resolvable():
    assert PROBLEMS == []


def test_no_import_cycles():
    facade_free = {m: {t: l for t, l in e.items() if t != "linrbp"} for m, e in EDGES.items() if m != "linrbp"}
    cycles = _cycles(facade_free)
    detail = [" <-> ".join(c) + ": " + "; ".join(f"{m} imports {t} (line {l})" for m in c
                                                for t, l in facade_free[m].items() if t in c)
              for c in cycles]
    assert detail == []


def test_lower_layers_never_import_higher_ones():
    bad = []
    for module, targets in EDGES.items():
        if module == "linrbp":
            continue
        for target, line in targets.items():
            if _layer(target) > _layer(module):
                bad.append(f"{module} (layer {_layer(module)}) imports {target} (layer {_layer(target)}) "
                           f"at line {line}")
    assert bad == []


@pytest.mark.parametrize("source, expected", [
    ("from ..core._rules import RULES", "linrbp.core._rules"),
    ("from .. import claims", "linrbp.claims"),
    ("import linrbp.plots._plots as p", "linrbp.plots._plots"),
])
def test_import_resolution(source, expected, monkeypatch, tmp_path):
    fake = tmp_path / "m.py"
    fake.write_text(f"def f():\n    {source}\n")
    monkeypatch.setitem(MODULES, "linrbp.instances._fake", (fake, False))
    targets, _ = _imports("linrbp.instances._fake")
    assert expected in [t for t, _ in targets]
