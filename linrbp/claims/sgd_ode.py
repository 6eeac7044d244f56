"""`sgd-ode`: per-example SGD on Fashion-MNIST against the averaged ODE (docs/theory.md section 10).

A linear A[784, p, 10] network, squared error, one-hot targets, the first ``m`` training images
of Fashion-MNIST (linrbp.trainer's loader, pixels in [0, 1], all 784). SGD with step eta takes
one example per step, drawn independently with replacement (``sampling="replacement"``) or in a
fresh random permutation each epoch (``"reshuffle"``), and applies the rule's per-example update
dA_h = eta delta_h O_{h-1}^T. The ODE of section 0 with S_II = X^T X / m, S_TI = Y^T X / m of
the same m images is integrated by ``integrate`` from the same start and feedback, and compared
in time t = eta x steps on a grid of times in [0, T]:

    gap(eta) = max_t |P_SGD(t) - P_ODE(t)|_F / |P_ODE(T)|_F.

The per-run gap is fitted as gap ~ eta^k on a log-log least-squares line, per seed (the seed
draws the examples; start and feedback are fixed by ``data_seed``); the seed-mean gap compares
the mean of the SGD products over seeds with the ODE. With one hidden layer RBP and SRBP are the
same rule (one feedback matrix C_1: N1 x N2), so the SRBP numbers equal the RBP numbers.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ..catalogue._catalogue import Check, Claim, register
from ..core._field import LinearSystem
from ..core._stats import DataStats
from ..integration._lean import integrate_to_end

ID = "sgd-ode"
ETAS = (3.2e-3, 1e-3, 3.2e-4, 1e-4, 3.2e-5)  # two decades
T_END = 0.32
N_GRID = 4  # comparison times T/4, T/2, 3T/4, T (multiples of every eta above)
M_IMAGES = 2000
HIDDEN = 3


FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"  # Debian's dataset-fashion-mnist


def _read_idx_head(path, count: int) -> np.ndarray:
    """The first ``count`` records of an unsigned-byte IDX file (gzip or plain), read without
    decompressing the rest. (The same files and format as linrbp.trainer's loader, which this
    layer may not import: claims sit below the trainer.)"""
    import gzip
    from pathlib import Path

    from ..core._errors import InputError

    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            head = fh.read(4)
            if len(head) < 4 or head[:3] != b"\x00\x00\x08":
                raise InputError(f"dataset: {path} is not an unsigned-byte IDX file")
            dims = [int.from_bytes(fh.read(4), "big") for _ in range(head[3])]
            count = min(count, dims[0])
            size = int(np.prod(dims[1:])) if len(dims) > 1 else 1
            raw = fh.read(count * size)
    except (OSError, EOFError) as exc:
        raise InputError(f"dataset: cannot read {path}: {exc}") from None
    if len(raw) != count * size:
        raise InputError(f"dataset: {path} is truncated")
    return np.frombuffer(raw, dtype=np.uint8).reshape([count] + dims[1:])


@functools.lru_cache(maxsize=2)
def fashion_data(m: int = M_IMAGES):
    """(X, Y): the first m Fashion-MNIST training images (m, 784) float64 in [0, 1] (pixel / 255,
    as linrbp.trainer's loader scales them), one-hot labels (m, 10). The directory is
    $LINRBP_FASHION_MNIST or /usr/share/datasets/fashion-mnist."""
    import os
    from pathlib import Path

    from ..core._errors import InputError

    d = Path(os.environ.get("LINRBP_FASHION_MNIST", FASHION_MNIST_DIR))

    def find(stem):
        for name in (stem + ".gz", stem):
            if (d / name).is_file():
                return d / name
        raise InputError(f"dataset: Fashion-MNIST not found in {d} (no {stem}[.gz]); install the "
                         "Debian package dataset-fashion-mnist")

    imgs = _read_idx_head(find("train-images-idx3-ubyte"), m)
    labels = _read_idx_head(find("train-labels-idx1-ubyte"), m)
    X = (imgs.reshape(imgs.shape[0], -1).astype(np.float32) / 255).astype(float)  # as the trainer
    Y = np.eye(10)[labels.astype(int)]
    return X, Y


def _start(data_seed, n0, p, n2):
    rng = np.random.default_rng(np.random.SeedSequence([data_seed, 7]))
    A1 = rng.normal(size=(p, n0)) * 0.5 / np.sqrt(n0)
    A2 = rng.normal(size=(n2, p)) * 0.5 / np.sqrt(p)
    C1 = rng.normal(size=(p, n2)) / np.sqrt(n2)
    return A1, A2, C1


def sgd_products(X, Y, rule, A1, A2, C1, eta, n_steps, record_every, seed, sampling="replacement"):
    """Products P = A2 A1 after every ``record_every`` per-example steps (the first at step 0)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 11]))
    m = X.shape[0]
    if sampling == "replacement":
        order = rng.integers(0, m, size=n_steps)
    elif sampling == "reshuffle":
        order = np.concatenate([rng.permutation(m) for _ in range(n_steps // m + 1)])[:n_steps]
    else:
        raise ValueError(f"sampling: {sampling!r}")
    A1, A2 = A1.copy(), A2.copy()
    out = [A2 @ A1]
    for k, i in enumerate(order, 1):
        x, y = X[i], Y[i]
        h = A1 @ x
        e = y - A2 @ h
        back = (A2.T @ e) if rule == "bp" else (C1 @ e)
        A2 += eta * np.outer(e, h)
        A1 += eta * np.outer(back, x)
        if k % record_every == 0:
            out.append(A2 @ A1)
    return np.array(out)


def ode_products(X, Y, rule, A1, A2, C1, times):
    m = X.shape[0]
    # Moments of an actual data set are consistent by construction; from_matrices's null-space
    # test misreads the tiny eigenvalues of S_II on the near-constant border pixels.
    stats = DataStats(X.T @ X / m, Y.T @ X / m)
    sysm = LinearSystem.create([X.shape[1], A1.shape[0], Y.shape[1]], rule, stats,
                               [] if rule == "bp" else [C1])
    res = integrate_to_end(sysm, sysm.pack([A1, A2]), float(times[-1]), rtol=1e-10, atol=1e-12, conv_tol=0.0,
                    t_eval=np.asarray(times))
    return np.array([sysm.product(sysm.unpack(y)[0]) for y in res.ys])


def measure(rule="rbp", etas=ETAS, seeds=(0, 1, 2, 3), sampling="replacement", data_seed=0,
            m=M_IMAGES, p=HIDDEN, T=T_END, n_grid=N_GRID) -> dict:
    """Per-run gaps [seed, eta], seed-mean gaps [eta], fitted exponents per seed and of the mean."""
    X, Y = fashion_data(m)
    A1, A2, C1 = _start(data_seed, X.shape[1], p, Y.shape[1])
    times = np.linspace(0, T, n_grid + 1)
    ode = ode_products(X, Y, rule, A1, A2, C1, times)
    scale = np.linalg.norm(ode[-1])
    gaps = np.zeros((len(seeds), len(etas)))
    mean_gaps = np.zeros(len(etas))
    for j, eta in enumerate(etas):
        every = int(round(T / n_grid / eta))
        if not math.isclose(every * eta * n_grid, T, rel_tol=1e-9):
            raise ValueError(f"eta {eta} does not divide T/{n_grid}")
        runs = np.array([sgd_products(X, Y, rule, A1, A2, C1, eta, every * n_grid, every, s, sampling)
                         for s in seeds])
        gaps[:, j] = [np.linalg.norm(r - ode, axis=(1, 2)).max() / scale for r in runs]
        mean_gaps[j] = np.linalg.norm(runs.mean(axis=0) - ode, axis=(1, 2)).max() / scale
    le = np.log(np.asarray(etas))
    slopes = np.array([np.polyfit(le, np.log(g), 1)[0] for g in gaps])
    return {"rule": rule, "sampling": sampling, "etas": list(etas), "seeds": list(seeds), "gaps": gaps,
            "mean_gaps": mean_gaps, "exponents": slopes, "exponent_mean": float(slopes.mean()),
            "exponent_std": float(slopes.std(ddof=1)) if len(slopes) > 1 else 0.0,
            "mean_exponent": float(np.polyfit(le, np.log(mean_gaps), 1)[0]),
            "m": m, "p": p, "T": T}


def _instance(rng) -> dict:
    # BP only: RBP's gaps over this eta range are not yet in the sqrt(eta) regime (measured,
    # see the statement); the check states what it measures.
    return {"rule": "bp", "data_seed": int(rng.integers(0, 2**31)),
            "seeds": [int(s) for s in rng.integers(0, 2**31, size=3)]}


def _cheap(inst, sampling="replacement"):
    # The verify check: 4 etas over two decades, 3 seeds (the full measurement is in the docs).
    return _cached(inst["rule"], tuple(inst["seeds"]), sampling, inst["data_seed"])


@functools.lru_cache(maxsize=8)
def _cached(rule, seeds, sampling, data_seed):
    return measure(rule, seeds=seeds, sampling=sampling, data_seed=data_seed, T=0.16, n_grid=2)


def exponent_error(inst) -> float:
    """|mean fitted exponent - 1/2| (with replacement); tolerance 0.2 (the 0.3-0.7 band)."""
    r = _cheap(inst)
    return abs(r["exponent_mean"] - 0.5)


def mean_ratio_error(inst) -> float:
    """Seed-mean gap / mean per-run gap at the smallest eta (below 1: averaging helps)."""
    r = _cheap(inst)
    return float(r["mean_gaps"][-1] / r["gaps"][:, -1].mean())


def _mean_update_error(_inst) -> float:
    """Exact (sympy, rational data): the data mean of the per-example updates of sgd_products is
    the ODE field (B_1 E, E A_1^T) with the data set's moments, for BP and RBP."""
    import sympy as sp

    from ..symbolic import is_zero

    rng = np.random.default_rng(5)
    X = sp.Matrix(rng.integers(-2, 3, size=(4, 3)).tolist())
    Y = sp.Matrix(rng.integers(-2, 3, size=(4, 2)).tolist())
    A1 = sp.Matrix(rng.integers(-2, 3, size=(2, 3)).tolist()) / 3
    A2 = sp.Matrix(rng.integers(-2, 3, size=(2, 2)).tolist()) / 5
    C1 = sp.Matrix(rng.integers(-2, 3, size=(2, 2)).tolist())
    E = Y.T * X / 4 - A2 * A1 * X.T * X / 4
    ok = True
    for rule in ("bp", "rbp"):
        d1, d2 = sp.zeros(2, 3), sp.zeros(2, 2)
        for i in range(4):
            x, y = X[i, :].T, Y[i, :].T
            e = y - A2 * A1 * x
            d1 += ((A2.T if rule == "bp" else C1) * e) * x.T / 4
            d2 += e * (A1 * x).T / 4
        ok = ok and is_zero(d1 - (A2.T if rule == "bp" else C1) * E) and is_zero(d2 - E * A1.T)
    return 0.0 if ok else 1.0


CLAIM = register(Claim(
    id=ID,
    title="SGD on Fashion-MNIST tracks the averaged ODE",
    reference="docs/theory.md section 10 (stochastic approximation)",
    statement=("$A[784,3,10]$, squared error, the first 2000 Fashion-MNIST training images, "
               r"per-example SGD with step $\eta$ (BP, RBP; SRBP = RBP with one hidden layer) vs "
               r"the ODE with the same images' moments in $t = \eta \times$ steps on $[0, T]$: gap "
               r"$= \max_t |P_{SGD} - P_{ODE}|_F / |P_{ODE}(T)|_F \sim \eta^k$. Measured ($T = "
               r"0.32$, 5 etas $3.2 \times 10^{-5} \ldots 3.2 \times 10^{-3}$, 4 seeds): BP with "
               r"replacement $k = 0.505 \pm 0.040$ (seed-mean path 0.496), BP with per-epoch "
               r"reshuffling $k = 0.750 \pm 0.044$; RBP with replacement $k = 0.31 \pm 0.13$, "
               r"reshuffling $0.39 \pm 0.19$, with gaps $0.36 \to 0.12$: RBP is not yet in the "
               r"$\sqrt{\eta}$ regime over this range."),
    checks=[
        Check("data mean of the per-example SGD update = ODE field (rational data, exact)", 0.0,
              lambda rng: {"identity": ID}, error=_mean_update_error, samples=1, kind="symbolic",
              fixed=True),
        Check("BP, with replacement: |fitted exponent - 1/2| (5 etas, 3.2e-5..3.2e-3, 3 seeds, T = 0.16, times T/2 and T)",
              0.2, _instance, error=exponent_error, samples=1),
        Check("seed-mean gap / per-run gap at eta = 3.2e-5 (at most 0.9)", 0.9, _instance,
              error=mean_ratio_error, samples=1),
    ],
))
