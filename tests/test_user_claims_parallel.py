"""``verify --claims FILE --workers N``: a researcher's checks are tasks like the catalogue's.

Concurrency is shown without timing: each of two checks writes a marker file with its process
id and then waits for the other's marker; a check that never sees the other (serial runs)
reports error 1 > tolerance. Both pass only when they ran at the same time, in two processes.
The checks are lambdas and closures of a file in tmp_path that the workers never imported."""

from __future__ import annotations

import json
import os

from linrbp.catalogue._catalogue import CLAIMS
from linrbp.claims import get_claims
from linrbp.cli import main

CLAIM_FILE = '''
import os, time
import linrbp

MARKS = {marks!r}


def waiter(me, other):
    def error(instance):
        with open(os.path.join(MARKS, me), "w") as fh:
            fh.write(str(os.getpid()))
        end = time.monotonic() + 60
        while time.monotonic() < end:
            if os.path.exists(os.path.join(MARKS, other)):
                return 0.0
            time.sleep(0.02)
        return 1.0  # never saw the other check running
    return error


linrbp.register(linrbp.Claim(
    id="two-at-once", title="two checks overlap", reference="test", statement="they overlap",
    checks=[linrbp.Check("first", tolerance=0.5, sample=lambda rng: 0, error=waiter("a", "b"), samples=1),
            linrbp.Check("second", tolerance=0.5, sample=lambda rng: 0, error=waiter("b", "a"), samples=1)],
))
'''


def test_user_claim_checks_run_two_at_once_with_two_workers(tmp_path, capsys):
    marks = tmp_path / "marks"
    marks.mkdir()
    f = tmp_path / "overlap.py"
    f.write_text(CLAIM_FILE.format(marks=str(marks)))
    get_claims()  # the catalogue first, so "unchanged" compares with the full catalogue
    before = dict(CLAIMS)
    out = tmp_path / "r.json"
    assert main(["verify", "--claims", str(f), "--workers", "2", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "executor: 2 local processes" in text and "capped" not in text
    rep = json.loads(out.read_text())
    assert rep["passed"] and [c["status"] for c in rep["claims"]] == ["pass"]
    pids = {(marks / n).read_text() for n in ("a", "b")}
    assert len(pids) == 2 and str(os.getpid()) not in pids  # two worker processes, not this one
    assert dict(CLAIMS) == before
