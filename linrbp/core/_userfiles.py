"""Code a user brings (``--rules FILE.py``, ``--claims FILE.py``, the pytest plugin): one loader.

:func:`import_user_file` imports a Python file or an importable module name and turns every way
it can go wrong into one :class:`InputError` line that names the real problem, in the same words
for every command that loads such a file (simulate, derive, train, experiments, verify, the
pytest plugin):

* the loader's own problems: no such file, a directory, a device or other special file, a file
  that is not a ``.py`` file, an unknown module name;
* the file's problems: a syntax error (with its line), an exception raised on import (its type
  and text), and ``sys.exit()`` / ``exit()`` / ``quit()`` on import (a file that exits would
  otherwise end the command with its own status, having done nothing).

Ctrl-C while importing stays Ctrl-C.
"""

from __future__ import annotations

import importlib.util
import os
import stat
import sys
import zlib

from ._errors import InputError

__all__ = ["import_user_file", "looks_like_file"]


def looks_like_file(spec_text: str) -> bool:
    """A path (ends in .py or has a directory part) rather than a module name."""
    return spec_text.endswith(".py") or os.sep in spec_text or "/" in spec_text \
        or os.path.exists(spec_text) and not spec_text.isidentifier()


def _one_line(text) -> str:
    return " ".join(str(text).split())


def _file_spec(path: str, label: str, prefix: str):
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{label}: no such file") from None
    except OSError as exc:
        raise InputError(f"{label}: cannot read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{label}: is a directory, not a Python file")
    if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        raise InputError(f"{label}: is a device, not a Python file")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{label}: is not a regular file (a FIFO or socket), not a Python file")
    if not path.endswith(".py"):
        raise InputError(f"{label}: not a .py file (name a Python file ending in .py, or a module)")
    if not os.access(path, os.R_OK):
        raise InputError(f"{label}: file is not readable")
    name = f"{prefix}_{zlib.crc32(os.path.abspath(path).encode()):08x}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - a .py regular file always has one
        raise InputError(f"{label}: cannot be imported as a Python file")
    return spec


def _module_spec(name: str, label: str):
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError) as exc:
        raise InputError(f"{label}: no such file or module ({_one_line(exc)})") from None
    except SystemExit:  # a parent package that exits on import
        raise InputError(f"{label}: a parent package calls sys.exit() on import") from None
    except Exception as exc:  # noqa: BLE001 - a parent package that raises on import
        raise InputError(f"{label}: importing its package raised {type(exc).__name__}: "
                         f"{_one_line(exc)}") from None
    if spec is None or spec.loader is None:
        raise InputError(f"{label}: no such file or module")
    return spec


def import_user_file(spec_text, what: str, prefix: str = "linrbp_user") -> object:
    """Import the Python file or module ``spec_text`` afresh; the module (InputError else).

    ``what`` starts every message (``"rules"``, ``"claims"``). A file is imported under a name
    derived from its absolute path and kept in ``sys.modules`` (so pickling its functions works
    in the same process); a module name is found on ``sys.path`` and executed again.
    """
    if not isinstance(spec_text, (str, os.PathLike)):
        raise InputError(f"{what}: expected a file name or module name, got {type(spec_text).__name__}")
    text = os.fspath(spec_text)
    label = f"{what}: {text}"
    if not text.strip():
        raise InputError(f"{what}: empty file name")
    is_file = looks_like_file(text)
    spec = _file_spec(text, label, prefix) if is_file else _module_spec(text, label)
    module = importlib.util.module_from_spec(spec)
    if is_file:
        sys.modules[spec.name] = module
    quiet = sys.dont_write_bytecode
    sys.dont_write_bytecode = True  # no __pycache__ left beside the user's file
    try:
        spec.loader.exec_module(module)
    except KeyboardInterrupt:
        if is_file:
            sys.modules.pop(spec.name, None)
        raise
    except BaseException as exc:  # noqa: BLE001 - code the user brings: every failure is input
        if is_file:
            sys.modules.pop(spec.name, None)
        if isinstance(exc, SyntaxError):
            raise InputError(f"{label}: syntax error at line {exc.lineno}: {exc.msg}") from None
        if isinstance(exc, SystemExit):
            raise InputError(f"{label}: calls sys.exit({'' if exc.code is None else repr(exc.code)}) "
                             "on import; a file of rules or claims must not exit") from None
        if isinstance(exc, InputError):  # linrbp refused what the file built (a Check, a Rule, ...)
            raise InputError(f"{label}: {_one_line(exc)}") from None
        if isinstance(exc, ModuleNotFoundError):
            raise InputError(f"{label}: cannot import ({_one_line(exc)})") from None
        raise InputError(f"{label}: raised {type(exc).__name__} on import: {_one_line(exc)}") from None
    finally:
        sys.dont_write_bytecode = quiet
    return module


def ship_by_value(module) -> None:
    """Worker processes and Dask workers have not imported the user's file: its functions travel
    by value (cloudpickle), not as references to a module they cannot import."""
    try:
        import cloudpickle
    except ImportError:  # pragma: no cover - a core dependency
        return
    try:
        cloudpickle.register_pickle_by_value(module)
    except ValueError:
        pass  # not in sys.modules under its name (a module found on the path: importable anyway)
