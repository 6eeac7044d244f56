"""The proofs, one module per docs/theory.md claim ID: the scripts ``proofs/<id>.py``.

In a source checkout this package is the directory ``proofs/`` next to ``linrbp/`` (this file
only points the package there); a wheel ships ``proofs/`` itself as ``linrbp/proofs/``
(pyproject.toml's package-dir) and never contains this file. The registry is
:mod:`linrbp.proof.registry`.
"""

from pathlib import Path

__path__ = [str(Path(__file__).resolve().parents[2] / "proofs")]
