"""SGD runs kept seed by seed, so that an interrupted ``simulate_sgd`` resumes.

Each seed's file (``seeds/seed-<s>.json`` in a :class:`linrbp.core._records.Records` directory,
manifest ``sgd.json``: the instance, N, seeds, recorded steps, method and backend) holds its
records so far and, until the seed has finished, its state at a block boundary it passed:
the weights (or the order parameters' factor), v, b and its generator's state just before the
block's draw. A resumed seed continues from there with the same draws, so every number is the
one an uninterrupted run gives (the steps a seed had taken past that boundary are taken again).
A seed's file is written when the seed finishes and, for the seeds in progress, when the run is
interrupted. A seed in progress is marked at the first block boundary and then at most every
:data:`MARK_EVERY_S` seconds (copying its state at every boundary would cost up to a tenth of
the order parameters' compiled steps), so a resumed run takes again at most about that long.
"""

from __future__ import annotations

import time

import numpy as np

from ..core._records import Records, remove_records

__all__ = ["SeedRecords", "MANIFEST", "remove_seed_records"]

MANIFEST = "sgd.json"
_FORMAT = 1
MARK_EVERY_S = 1.0  # seconds between marks of a group in progress (a mark copies its state)


def _name(seed: int) -> str:
    return f"seeds/seed-{int(seed)}.json"


def remove_seed_records(directory, seeds) -> None:
    """Delete the records of ``seeds`` kept in ``directory`` (and it, when that leaves it empty)."""
    remove_records(directory, [MANIFEST] + [_name(s) for s in seeds])


def _number(x) -> float:
    return float(x)  # "nan", "inf", "-inf" (non-finite values as saved) and numbers alike


class SeedRecords:
    """The records directory of one SGD run (``keys``: each run's state arrays)."""

    def __init__(self, directory, config: dict, keys, refuse: str | None = None):
        self.keys = tuple(keys)
        self.store = Records(directory, {**config, "format": _FORMAT}, manifest=MANIFEST, what="records",
                             refuse=refuse or f"records: {directory} holds SGD runs with other settings; use "
                             "another directory, or the same instance, N, seeds, times, method and backend")
        self.directory = directory
        self._marks: dict[int, dict] = {}
        self._on_disk: dict[int, int] = {}   # seed -> step of its saved state
        self.resumed_steps = 0               # steps restored, over all seeds
        self._last = -float("inf")           # time of the last mark

    def load(self, r: dict, steps):
        """Seed ``r["seed"]``'s saved state (step, records, generator state, arrays), or None when
        it has none that fits ``r`` and the recorded ``steps`` (a record for each of them up to
        its step). Nothing in ``r`` changes."""
        got = self.store.load(_name(r["seed"]), lambda d: isinstance(d, dict) and d.get("seed") == r["seed"]
                              and isinstance(d.get("rec"), list) and isinstance(d.get("step"), int)
                              and 0 <= d["step"] <= int(steps[-1])
                              and len(d["rec"]) == int(np.sum(np.asarray(steps) <= d["step"]))
                              and isinstance(d.get("state"), dict) and sorted(d["state"]) == sorted(self.keys))
        if got is None:
            return None
        try:
            state = {k: np.array(got["state"][k], dtype=float) for k in self.keys}
            if any(state[k].shape != r[k].shape for k in self.keys):
                return None
            rec = [(_number(e[0]),) + tuple(np.array(x, dtype=float) for x in e[1:]) for e in got["rec"]]
            type(r["rng"].bit_generator)().state = got["rng"]  # a state this generator takes
        except (TypeError, ValueError, KeyError, IndexError):
            return None
        return {"seed": r["seed"], "step": got["step"], "rec": rec, "rng": got["rng"], "state": state}

    def restore(self, group, steps) -> None:
        """Put each run's saved state into it (arrays in place) when every run of ``group`` has
        one at the same step; else leave the group as it is (it starts afresh)."""
        saved = [self.load(r, steps) for r in group]
        if any(s is None for s in saved) or len({s["step"] for s in saved}) != 1:
            return
        for r, s in zip(group, saved):
            for k in self.keys:
                r[k][...] = s["state"][k]
            r["rng"].bit_generator.state = s["rng"]
            r["rec"] = s["rec"]
            r["step"] = s["step"]
            self._marks[r["seed"]] = s
            self._on_disk[r["seed"]] = s["step"]
            self.resumed_steps += s["step"]

    def _snapshot(self, r: dict) -> dict:
        return {"seed": r["seed"], "step": int(r["step"]), "rec": list(r["rec"]),
                "rng": r["rng"].bit_generator.state, "state": {k: r[k].copy() for k in self.keys}}

    def mark(self, group, force: bool = False) -> None:
        """Each run of ``group`` at a block boundary, before the block's draw: where it resumes
        (at most every :data:`MARK_EVERY_S` seconds unless ``force``, once a mark is there)."""
        now = time.monotonic()
        if not force and now - self._last < MARK_EVERY_S and all(r["seed"] in self._marks for r in group):
            return
        self._marks.update({r["seed"]: self._snapshot(r) for r in group})  # all or none
        self._last = now

    def save(self, group) -> None:
        """Write the last mark of each run of ``group`` (a finished group: mark it first)."""
        for r in group:
            m = self._marks.get(r["seed"])
            if m is not None:
                self.store.save(_name(r["seed"]), m)
                self._on_disk[r["seed"]] = m["step"]

    def kept_step(self, r: dict) -> int:
        """The step at which seed ``r["seed"]``'s saved state is (0: none saved)."""
        return self._on_disk.get(r["seed"], 0)

    def remove(self) -> None:
        """Delete the records (after the run's output is written)."""
        self.store.remove()

