"""The Examples of every public docstring run as doctests: each public module's ``__all__``
(classes with their methods), so a new public name's examples run without touching this file.
An example whose output changed fails here with the expected and the actual text."""

from __future__ import annotations

import doctest
import importlib
import inspect

import pytest

PUBLIC_MODULES = ("linrbp", "linrbp.symbolic", "linrbp.trainer", "linrbp.strategies", "linrbp.plots",
                  "linrbp.teacher_student", "linrbp.certify", "linrbp.checker", "linrbp.proof")
OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _tests():
    finder = doctest.DocTestFinder(exclude_empty=True)
    seen: set[tuple[str, int]] = set()
    out = []
    for modname in PUBLIC_MODULES:
        mod = importlib.import_module(modname)
        for name in mod.__all__:
            obj = getattr(mod, name)
            if inspect.ismodule(obj) or not (inspect.isclass(obj) or callable(obj)):
                continue
            home = inspect.getmodule(obj)  # the examples see their module's names, as in testmod
            globs = dict(vars(home)) if home is not None else {}
            for test in finder.find(obj, f"{modname}.{name}", module=False, globs=globs):
                # the same docstring reached through two public names runs once; finder.find
                # with module=False leaves filename None, so the module keeps apart docstrings of
                # different files that start on the same line
                key = (test.filename or getattr(home, "__name__", ""), test.lineno or 0, test.docstring)
                if test.examples and key not in seen:
                    seen.add(key)
                    out.append(test)
    return out


TESTS = _tests()


def test_public_docstrings_have_examples():
    # the central entry points at least (the list grows as docstrings gain Examples)
    names = {t.name for t in TESTS}
    for name in ("linrbp.integrate", "linrbp.integrate_batch", "linrbp.simulate",
                 "linrbp.LinearSystem.create", "linrbp.DataStats.from_matrices",
                 "linrbp.register_rule", "linrbp.chain111_limit", "linrbp.poly1d_limit",
                 "linrbp.plots.chain111_basins", "linrbp.trainer.train", "linrbp.trainer.Network",
                 "linrbp.teacher_student.moments", "linrbp.certify.certify_chain",
                 "linrbp.checker.check_paths", "linrbp.proof.Proof", "linrbp.strategies.chain_instances"):
        assert name in names, f"{name} has no Examples section"


@pytest.mark.parametrize("test", TESTS, ids=[t.name for t in TESTS])
def test_docstring_examples(test):
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)
