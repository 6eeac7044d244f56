"""The public API is the recorded one (tests/data/public_api.json, recorded from main before the
layout of issue 13 moved anything): every public module's ``__all__``, each name resolving to a
value of the recorded type, visible to ``dir()`` and exported by ``from module import *``."""

import importlib
import json
from pathlib import Path

import pytest

RECORD = json.loads((Path(__file__).parent / "data" / "public_api.json").read_text())["modules"]


@pytest.mark.parametrize("module", sorted(RECORD))
def test_all_is_the_recorded_list(module):
    mod = importlib.import_module(module)
    assert sorted(mod.__all__) == sorted(RECORD[module])
    assert len(set(mod.__all__)) == len(mod.__all__)


@pytest.mark.parametrize("module", sorted(RECORD))
def test_every_public_name_resolves_to_the_recorded_kind(module):
    mod = importlib.import_module(module)
    kinds = {name: type(getattr(mod, name)).__name__ for name in RECORD[module]}
    assert kinds == RECORD[module]
    assert set(RECORD[module]) <= set(dir(mod))


@pytest.mark.parametrize("module", sorted(RECORD))
def test_star_import_exports_exactly_all(module):
    namespace: dict = {}
    exec(f"from {module} import *", namespace)
    namespace.pop("__builtins__")
    assert sorted(namespace) == sorted(RECORD[module])
    mod = importlib.import_module(module)
    assert all(namespace[n] is getattr(mod, n) for n in namespace)
