"""Files in and out, one set of rules for every command and the API.

Output (:func:`atomic_open`, :func:`check_output_file`, :func:`check_output_dir`):

* a file is written to a temporary file beside its target, flushed, then renamed onto the
  target, so readers never see a half-written file and a failure leaves nothing behind;
* a symlink is written *through*: the link stays, its (final) target is replaced atomically,
  the temporary file lying beside the target;
* a directory, device, FIFO or socket is never written to or replaced: one line says so;
* commands check every output location (:func:`check_outputs`, or :func:`check_output_file`,
  :func:`check_output_dir`) before their work starts (a directory must accept a new file:
  tried, not guessed from permissions), two outputs at one path and empty paths are refused,
  and every message names the path the user gave.

Input (:func:`load_json_file`): instance files, probe summaries and other JSON inputs are read
with a size cap (:data:`MAX_INPUT_BYTES`), a nesting cap (:data:`MAX_JSON_DEPTH`) and a cap on
the digits of an integer literal (:data:`MAX_INT_DIGITS`), each refused with one line.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from ._errors import InputError

__all__ = ["atomic_open", "atomic_write_text", "atomic_write_json", "to_jsonable",
           "check_output_file", "check_output_option", "check_output_dir", "check_outputs", "load_json_file", "decode_json",
           "MAX_INPUT_BYTES", "MAX_JSON_DEPTH", "MAX_INT_DIGITS"]

MAX_INPUT_BYTES = 64 * 2**20  # instance files, probe summaries: 64 MiB
MAX_JSON_DEPTH = 64  # nesting of arrays/objects (an instance needs 4)
MAX_INT_DIGITS = 400  # digits of one integer literal (a float64 has at most 309 before inf)


def to_jsonable(obj: Any) -> Any:
    """numpy arrays and scalars to nested lists and floats; non-finite floats to strings."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        x = float(obj)
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return x
    return obj


# -- output -----------------------------------------------------------------------------

def _label(what: str | None, path) -> str:
    return f"{what} {path}" if what else f"{path}"


def _kind(mode: int) -> str | None:
    """What a non-regular file is, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _target(path: Path, label: str) -> Path:
    """The file a write to ``path`` lands in: ``path`` itself, or the final target of a symlink."""
    if not path.is_symlink():
        return path
    try:
        real = Path(os.path.realpath(path, strict=False))
    except OSError as exc:  # a symlink loop
        raise InputError(f"{label}: cannot follow the symbolic link ({exc.strerror or exc})") from None
    if real.is_symlink():  # realpath stops on a loop
        raise InputError(f"{label}: symbolic link loop")
    return real


def _nearest_existing(directory: Path) -> Path:
    d = directory
    while not os.path.lexists(d):
        if d.parent == d:
            break
        d = d.parent
    return d


def _check_directory_writable(directory: Path, label: str, create_ok: bool = True) -> None:
    """``directory`` (or, when it would be created, its nearest existing ancestor) is a
    writable directory."""
    d = _nearest_existing(directory)
    if d != directory and not create_ok:
        raise InputError(f"{label}: directory {directory} does not exist")
    if not d.is_dir():
        raise InputError(f"{label}: {d} is not a directory")
    if not os.access(d, os.W_OK | os.X_OK):
        raise InputError(f"{label}: directory {d} is not writable")
    # os.access says yes to root everywhere (and knows nothing of /proc, /sys or a read-only
    # mount): make and remove an empty file there, as the atomic writers will.
    try:
        fd, probe = tempfile.mkstemp(prefix=".linrbp-probe-", suffix=".tmp", dir=d)
    except OSError as exc:
        raise InputError(f"{label}: cannot create files in directory {d} "
                         f"({exc.strerror or exc.__class__.__name__})") from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)


def check_output_file(path, what: str | None = None, create_dirs: bool = True) -> Path:
    """Check that ``path`` can be written as a file; return the file a write lands in.

    Refuses (InputError naming ``what`` and the path): an empty name, a directory, a device,
    FIFO or socket (also behind a symlink), a read-only file, and a location whose directory is
    not writable, or missing (``create_dirs=False``, what the commands' file options use: a
    mistyped directory is caught before the work) or uncreatable. Nothing is created.
    """
    if path is None or str(path) == "":
        raise InputError(f"{what or 'output'}: empty output path")
    path = Path(path)
    label = _label(what, path)
    target = _target(path, label)
    if os.path.lexists(target):
        try:
            mode = os.stat(target).st_mode
        except OSError as exc:
            raise InputError(f"{label}: {exc.strerror or exc}") from None
        kind = _kind(mode)
        if kind:
            raise InputError(f"{label}: is {kind}; refusing to write there (give a file name)")
        if not os.access(target, os.W_OK):
            raise InputError(f"{label}: file is not writable")
    elif str(path).endswith(os.sep):
        raise InputError(f"{label}: names a directory; give a file name")
    _check_directory_writable(target.parent if str(target.parent) else Path("."), label, create_dirs)
    return target


def check_output_option(path, option: str) -> None:
    """A command's file option (``--json OUT`` and the like), checked before any work starts:
    nothing when the option was not given (None), else :func:`check_output_file` with
    ``create_dirs=False`` (a mistyped directory is refused, not created)."""
    if path is not None:
        check_output_file(path, option, create_dirs=False)


def check_outputs(*outputs) -> None:
    """Every output location of a command, checked before its work starts.

    ``outputs``: ``(option, path)`` for a file or ``(option, path, "dir")`` for a directory;
    a None path (the option not given) is skipped. Each is checked as
    :func:`check_output_option` / :func:`check_output_dir` do (an empty path is refused), and
    two outputs at one path (``--json X --html X``: one would silently replace the other) are
    refused, naming both options.
    """
    seen: dict = {}
    for out in outputs:
        option, path = out[0], out[1]
        kind = out[2] if len(out) > 2 else "file"
        if path is None:
            continue
        if kind == "dir":
            target = check_output_dir(path, option)
        else:
            check_output_option(path, option)
            target = _target(Path(path), _label(option, path))
        key = os.path.abspath(os.path.realpath(target))
        if key in seen:
            raise InputError(f"{option} {path}: the same path as {seen[key]}; give each output its own "
                             "file")
        seen[key] = option


def check_output_dir(path, what: str | None = None) -> Path:
    """Check that ``path`` is (or can be created as) a writable directory. Nothing is created."""
    if path is None or str(path) == "":
        raise InputError(f"{what or 'output'}: empty output directory")
    path = Path(path)
    label = _label(what, path)
    if os.path.lexists(path):
        if not path.is_dir():  # follows symlinks: a link to a directory is fine
            try:
                kind = _kind(os.stat(path).st_mode) or "a file"
            except OSError:
                kind = "a dangling symbolic link"
            raise InputError(f"{label}: is {kind}, not a directory")
    _check_directory_writable(path, label)
    return path


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", what: str | None = None, fsync: bool = True):
    """Open a temporary file beside the target of ``path``; on success rename it onto the target.

    Readers never see a half-written file, and a failure leaves no file behind. ``fsync=False``
    skips flushing the file to the disk before the rename (for many small files a rerun
    recomputes: after a crash one may be empty, never half-written under its name while running). A symlink is
    written through (the link stays); a directory, device, FIFO or socket is refused
    (:func:`check_output_file`). Errors name ``path``, never the temporary file.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open: mode must be 'w' or 'wb', got {mode!r}")
    target = check_output_file(path, what)
    user = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    label = _label(what, user)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(user)) from None
    try:
        try:
            keep = stat.S_IMODE(os.stat(target).st_mode)
        except FileNotFoundError:
            # mkstemp creates the file 0600; give it the permissions a plain open() would.
            umask = os.umask(0)
            os.umask(umask)
            keep = 0o666 & ~umask
        os.chmod(tmp, keep)
        with os.fdopen(fd, mode, **({"encoding": "utf-8"} if mode == "w" else {})) as fh:
            yield fh
            try:
                fh.flush()
                if fsync:
                    os.fsync(fh.fileno())
            except OSError as exc:
                raise OSError(exc.errno, exc.strerror, str(user)) from None
        try:
            # A special file may have appeared since the check: never replace one.
            if os.path.lexists(target) and _kind(os.lstat(target).st_mode):
                raise InputError(f"{label}: is {_kind(os.lstat(target).st_mode)}; refusing to write there")
            os.replace(tmp, target)
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(user)) from None
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path: str | os.PathLike, text: str, what: str | None = None,
                      fsync: bool = True) -> None:
    """Write ``text`` to ``path`` so that readers never see a half-written file."""
    with atomic_open(path, "w", what, fsync) as fh:
        try:
            fh.write(text)
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(path)) from None


def atomic_write_json(path: str | os.PathLike, data: Any, what: str | None = None,
                      fsync: bool = True) -> None:
    atomic_write_text(path, json.dumps(to_jsonable(data), indent=2) + "\n", what, fsync)


# -- input ------------------------------------------------------------------------------

def _parse_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise InputError(f"an integer literal has {digits} digits (at most {MAX_INT_DIGITS} accepted)")
    return int(text)


def _no_duplicates(pairs) -> dict:
    """A JSON object; a key given twice is refused (json keeps the last one silently)."""
    out: dict = {}
    for k, v in pairs:
        if k in out:
            raise InputError(f"duplicate key {k!r} (given twice in one object; the file must say it once)")
        out[k] = v
    return out


def _depth(obj: Any) -> int:
    """Nesting depth of decoded JSON, without recursion."""
    deepest, stack = 0, [(obj, 1)]
    while stack:
        o, d = stack.pop()
        if isinstance(o, (list, dict)):
            deepest = max(deepest, d)
            if d > MAX_JSON_DEPTH:
                return d
            stack.extend((v, d + 1) for v in (o.values() if isinstance(o, dict) else o))
    return deepest


def decode_json(text: str, source: str) -> Any:
    """Decode JSON text under the caps; InputError names ``source`` (a path or 'input')."""
    try:
        data = json.loads(text, parse_constant=float, parse_int=_parse_int, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise InputError(f"{source}: JSON nested deeper than {MAX_JSON_DEPTH} levels (the cap on "
                         "input files)") from None
    except InputError as exc:
        raise InputError(f"{source}: {exc}") from None
    if _depth(data) > MAX_JSON_DEPTH:
        raise InputError(f"{source}: JSON nested deeper than {MAX_JSON_DEPTH} levels (the cap on "
                         "input files)")
    return data


def load_json_file(path, what: str | None = None, max_bytes: int | None = None) -> Any:
    """Read a JSON input file under the caps (size, nesting, integer digits); InputError else."""
    path = os.fspath(path)
    label = _label(what, path)
    cap = MAX_INPUT_BYTES if max_bytes is None else max_bytes
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            if stat.S_ISREG(st.st_mode) and st.st_size > cap:
                raise InputError(f"{label}: {st.st_size} bytes, larger than the {_mib(cap)} cap on "
                                 "input files")
            raw = fh.read(cap + 1)
    except FileNotFoundError:
        raise InputError(f"{label}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{label}: is a directory, not a file") from None
    except OSError as exc:
        if exc.errno == errno.EISDIR:
            raise InputError(f"{label}: is a directory, not a file") from None
        raise InputError(f"{label}: cannot read ({exc.strerror or exc.__class__.__name__})") from None
    if len(raw) > cap:
        raise InputError(f"{label}: larger than the {_mib(cap)} cap on input files")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{label}: not UTF-8 text") from None
    return decode_json(text, label)


def _mib(n: int) -> str:
    return f"{n / 2**20:g} MiB" if n >= 2**20 else f"{n} bytes"
