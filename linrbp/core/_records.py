"""Records of long work, kept on disk part by part so that an interrupted command resumes.

A records directory holds a manifest (``{"config": ...}``: the settings the records were made
with) and one JSON file per finished part (:meth:`Records.save`, atomically: a reader never
sees a half-written record). Opening it again with the same settings gives the saved parts back
(:meth:`Records.load`); other settings are refused with one line (InputError) before any work,
since their records would be wrong for this run. ``linrbp sweep`` keeps its records in the
directory the user names (``--out``); ``linrbp basins`` and ``linrbp simulate --sgd`` keep theirs
beside their output file (:func:`records_beside`) and remove them once the output is written.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, Callable

from ._errors import InputError
from ._io import atomic_write_json, load_json_file, to_jsonable

__all__ = ["Records", "records_beside", "remove_records"]


def records_beside(path, kind: str = "records") -> Path:
    """The hidden records directory of a command writing ``path``: ``DIR/.NAME.<kind>``."""
    head, tail = os.path.split(os.fspath(path))
    return Path(head or ".") / f".{tail}.{kind}"


class Records:
    """A records directory made with one set of settings.

    Parameters
    ----------
    directory : str or os.PathLike
        Where the records lie (created on first use).
    config : dict
        The settings; kept as JSON in ``directory / manifest``.
    manifest : str, default "records.json"
        The manifest's file name.
    what : str, default "out"
        The option or argument the messages name.
    refuse : str, optional
        The message (one line) when ``directory`` holds records of other settings; default
        names both and says to use another directory.

    Raises
    ------
    InputError
        ``directory`` is not a directory, or holds records made with other settings.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> r = Records(d, {"n": 3})
    >>> r.save("part-0.json", [1.5, float("nan")])
    >>> Records(d, {"n": 3}).load("part-0.json")
    [1.5, 'nan']
    >>> Records(d, {"n": 4})
    Traceback (most recent call last):
    ...
    linrbp.InputError: out: ... holds records made with other settings (...records.json); use another directory
    >>> r.remove()
    """

    def __init__(self, directory, config: dict, *, manifest: str = "records.json", what: str = "out",
                 refuse: str | None = None):
        self.directory = Path(directory)
        self.what = what
        self.config = to_jsonable(config)
        self.manifest = self.directory / manifest
        self._names = {manifest}
        if os.path.lexists(self.directory) and not self.directory.is_dir():
            raise InputError(f"{what}: {directory} exists and is not a directory")
        if self.manifest.exists():
            try:
                old = load_json_file(self.manifest)
            except InputError:
                old = None
            if not isinstance(old, dict) or old.get("config") != self.config:
                raise InputError(refuse or f"{what}: {directory} holds records made with other settings "
                                           f"({self.manifest}); use another directory")
        else:
            atomic_write_json(self.manifest, {"config": self.config}, what)

    def load(self, name: str, valid: Callable[[Any], bool] | None = None):
        """The record saved under ``name``, or None (missing, unreadable, or not ``valid``)."""
        self._names.add(name)
        try:
            data = load_json_file(self.directory / name)
        except (InputError, OSError):
            return None
        if valid is not None and not valid(data):
            return None
        return data

    def save(self, name: str, data) -> None:
        """Write ``data`` (JSON, numpy arrays as lists, non-finite floats as strings) atomically."""
        self._names.add(name)
        atomic_write_json(self.directory / name, data, self.what)

    def remove(self) -> None:
        """Delete the records this object saved or looked for, the manifest, and the directory
        (with its sub-directories) where they leave it empty; nothing else is touched."""
        remove_records(self.directory, self._names)


def remove_records(directory, names) -> None:
    """Delete the files ``names`` (relative to ``directory``), then the directories they leave
    empty, ``directory`` included; nothing else is touched."""
    directory = Path(directory)
    for name in names:
        with contextlib.suppress(FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError):
            os.unlink(directory / name)
    dirs = {(directory / n).parent for n in names}
    for d in sorted(dirs, key=lambda p: len(p.parts), reverse=True) + [directory]:
        with contextlib.suppress(OSError):
            d.rmdir()
