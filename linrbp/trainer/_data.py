"""Data for the trainer: IDX files (Fashion-MNIST, MNIST) from disk, and a seeded teacher task.

Nothing is ever downloaded. Images are scaled to [0, 1]; labels are class indices.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core._errors import InputError

__all__ = ["Dataset", "load_idx_dir", "load_fashion_mnist", "teacher_task", "load_dataset",
           "FASHION_MNIST_DIR", "FASHION_MNIST_PACKAGE"]

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
FASHION_MNIST_PACKAGE = "dataset-fashion-mnist"
_IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


@dataclass(frozen=True)
class Dataset:
    """Rows are examples: ``x_train`` (n, N0) float32 in [0, 1], ``y_train`` (n,) int labels."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int

    @property
    def n_in(self) -> int:
        return self.x_train.shape[1]

    def limited(self, n_train: int | None, n_test: int | None = None) -> "Dataset":
        """The first ``n_train`` training (``n_test`` test) examples."""
        xt, yt, xs, ys = self.x_train, self.y_train, self.x_test, self.y_test
        if n_train is not None:
            xt, yt = xt[:n_train], yt[:n_train]
        if n_test is not None:
            xs, ys = xs[:n_test], ys[:n_test]
        return Dataset(self.name, xt, yt, xs, ys, self.n_classes)


def _read_idx(path: Path) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError) as exc:
        raise InputError(f"data-dir: cannot read {path}: {exc}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise InputError(f"data-dir: {path} is not an unsigned-byte IDX file")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise InputError(f"data-dir: {path} is truncated")
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    if len(raw) - header != int(np.prod(dims)):
        raise InputError(f"data-dir: {path} holds {len(raw) - header} bytes, header says {dims}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def _find(directory: Path, stem: str) -> Path:
    for name in (stem + ".gz", stem, stem.replace("-idx", ".idx") + ".gz", stem.replace("-idx", ".idx")):
        if (directory / name).is_file():
            return directory / name
    raise InputError(f"data-dir: {directory} has no {stem}[.gz]")


def load_idx_dir(directory, name: str = "idx", n_classes: int | None = None) -> Dataset:
    """Any MNIST-format IDX directory (train/t10k images and labels, optionally gzipped).

    Labels must be class indices 0..K-1: K is ``n_classes`` when given (10 for Fashion-MNIST),
    else inferred as the largest label + 1, and then every class 0..K-1 must occur among the
    training labels (a stray label such as 200 is refused, not turned into a 201-class task).
    Neither part may be empty.
    """
    d = Path(directory)
    if not d.is_dir():
        raise InputError(f"data-dir: {d} is not a directory")
    arrays = {k: _read_idx(_find(d, v)) for k, v in _IDX_FILES.items()}
    for part in ("train", "test"):
        imgs, labs = arrays[f"{part}_images"], arrays[f"{part}_labels"]
        if imgs.ndim < 2 or labs.ndim != 1 or imgs.shape[0] != labs.shape[0]:
            raise InputError(f"data-dir: {part} images {imgs.shape} and labels {labs.shape} do not match")
        if imgs.shape[0] == 0:
            raise InputError(f"data-dir: {d / _IDX_FILES[part + '_images']}: holds 0 images")
        if 0 in imgs.shape[1:]:
            raise InputError(f"data-dir: {part} images have shape {imgs.shape}: an empty image")
    x_train = arrays["train_images"].reshape(len(arrays["train_labels"]), -1).astype(np.float32) / 255
    x_test = arrays["test_images"].reshape(len(arrays["test_labels"]), -1).astype(np.float32) / 255
    if x_train.shape[1] != x_test.shape[1]:
        raise InputError("data-dir: train and test images differ in size")
    y_train = arrays["train_labels"].astype(np.int64)
    y_test = arrays["test_labels"].astype(np.int64)
    top = int(max(y_train.max(), y_test.max()))
    if n_classes is not None:
        if top >= n_classes:
            where = "train" if y_train.max() == top else "t10k"
            raise InputError(f"data-dir: {where} labels contain {top}, outside 0..{n_classes - 1} "
                             f"for the {n_classes} classes of {name}")
    else:
        n_classes = top + 1
        missing = np.setdiff1d(np.arange(n_classes), y_train)
        if missing.size:
            raise InputError(f"data-dir: labels go up to {top} but class{'es' if missing.size > 1 else ''} "
                             f"{', '.join(map(str, missing[:5]))}{' ...' if missing.size > 5 else ''} never "
                             f"occur{'' if missing.size > 1 else 's'} among the training labels: labels must "
                             "be class indices 0..K-1")
    return Dataset(name, x_train, y_train, x_test, y_test, n_classes)


def load_fashion_mnist(directory=None) -> Dataset:
    """Fashion-MNIST (60k/10k, 28x28) from Debian's package ``dataset-fashion-mnist``."""
    d = Path(directory or os.environ.get("LINRBP_FASHION_MNIST", FASHION_MNIST_DIR))
    if not (d.is_dir() and any(d.glob("train-images*"))):
        raise InputError(
            f"dataset: Fashion-MNIST not found in {d}; install the Debian package "
            f"{FASHION_MNIST_PACKAGE} (apt-get install {FASHION_MNIST_PACKAGE}) or pass "
            "--dataset idx --data-dir DIR"
        )
    return load_idx_dir(d, "fashion-mnist", n_classes=10)


def teacher_task(seed: int = 0, n_in: int = 20, n_hidden: int = 30, n_classes: int = 4,
                 n_train: int = 2000, n_test: int = 1000) -> Dataset:
    """A random tanh teacher network labels Gaussian inputs: label = argmax of its output.

    Inputs are standard normal; fully determined by
    ``seed``.
    """
    rng = np.random.default_rng(seed)
    W1 = rng.standard_normal((n_hidden, n_in)) / np.sqrt(n_in)
    W2 = rng.standard_normal((n_classes, n_hidden)) / np.sqrt(n_hidden)
    z = rng.standard_normal((n_train + n_test, n_in))
    y = np.argmax(np.tanh(2.0 * z @ W1.T) @ W2.T, axis=1)
    x = z.astype(np.float32)
    return Dataset("teacher", x[:n_train], y[:n_train], x[n_train:], y[n_train:], n_classes)


def load_dataset(name: str, data_dir=None, seed: int = 0) -> Dataset:
    """``fashion-mnist`` | ``idx`` (needs ``data_dir``) | ``teacher`` | ``teacher-binary`` (seeded)."""
    if name == "fashion-mnist":
        return load_fashion_mnist(data_dir)
    if name == "idx":
        if not data_dir:
            raise InputError("data-dir: --dataset idx needs --data-dir DIR (an MNIST-format IDX directory)")
        return load_idx_dir(data_dir)
    if name == "teacher":
        return teacher_task(seed)
    if name == "teacher-binary":  # two classes: the +-1 regression task of Kickback
        return teacher_task(seed, n_classes=2)
    raise InputError(f"dataset: unknown dataset {name!r} (expected fashion-mnist, idx, teacher or teacher-binary)")
