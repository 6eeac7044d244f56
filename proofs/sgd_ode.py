"""Machine-checked proof of THEORY.md claim `sgd-ode` (run: python proofs/sgd_ode.py).

The theorem and every step are stated and checked in linrbp.proofs_lib; this script prints
them and exits 0 iff every step holds. `linrbp prove sgd-ode` runs the same proof.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout's linrbp

from linrbp.proofs_lib import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main("sgd-ode"))
