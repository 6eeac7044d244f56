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
    """A classification data set; rows are examples.

    Parameters
    ----------
    name : str
        ``"fashion-mnist"``, ``"teacher"``, the name given to :func:`load_idx_dir`, ...
    x_train : numpy.ndarray, shape (n_train, N_0)
        Training inputs, float32 (images scaled to [0, 1]).
    y_train : numpy.ndarray of int, shape (n_train,)
        Training labels, class indices 0..n_classes-1.
    x_test : numpy.ndarray, shape (n_test, N_0)
        Test inputs.
    y_test : numpy.ndarray of int, shape (n_test,)
        Test labels.
    n_classes : int
        Number of classes K.

    Examples
    --------
    >>> from linrbp.trainer import teacher_task
    >>> ds = teacher_task(seed=0, n_train=200, n_test=100)
    >>> ds.n_in, ds.n_classes, ds.x_train.dtype
    (20, 4, dtype('float32'))
    >>> small = ds.limited(50, 10)
    >>> small.x_train.shape, small.x_test.shape
    ((50, 20), (10, 20))
    """

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
    """A data set from any MNIST-format IDX directory (train/t10k images and labels, optionally gzipped).

    The four files are ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte`` (``.gz`` or not; ``-idx`` may be
    ``.idx``). Labels must be class indices 0..K-1: K is ``n_classes`` when given, else the largest
    label + 1, and then every class 0..K-1 must occur among the training labels (a stray label such
    as 200 is refused, not turned into a 201-class task). Neither part may be empty. Nothing is
    ever downloaded.

    Parameters
    ----------
    directory : str or os.PathLike
        The directory.
    name : str, default "idx"
        The data set's name (recorded in results).
    n_classes : int, optional
        The number of classes (10 for Fashion-MNIST); default inferred from the labels.

    Returns
    -------
    Dataset
        Images flattened row-major and scaled to [0, 1] (float32), labels as int64.

    Raises
    ------
    ValueError
        An InputError naming the file and the problem (missing, not unsigned-byte IDX, truncated,
        sizes that do not match, a label outside 0..K-1, a class that never occurs).

    Examples
    --------
    Four tiny IDX files (2 x 2 images, two classes):

    >>> import os, tempfile
    >>> from linrbp.trainer import load_idx_dir
    >>> d = tempfile.mkdtemp()
    >>> def idx(name, dims, data):
    ...     with open(os.path.join(d, name), "wb") as f:
    ...         f.write(bytes([0, 0, 8, len(dims)]) + b"".join(n.to_bytes(4, "big") for n in dims) + bytes(data))
    >>> idx("train-images-idx3-ubyte", [2, 2, 2], [0, 255, 0, 255, 255, 0, 255, 0])
    >>> idx("train-labels-idx1-ubyte", [2], [0, 1])
    >>> idx("t10k-images-idx3-ubyte", [1, 2, 2], [0, 255, 255, 0])
    >>> idx("t10k-labels-idx1-ubyte", [1], [1])
    >>> ds = load_idx_dir(d)
    >>> ds.x_train, ds.y_train, ds.n_classes
    (array([[0., 1., 0., 1.],
           [1., 0., 1., 0.]], dtype=float32), array([0, 1]), 2)
    >>> import shutil; shutil.rmtree(d)
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
    """Fashion-MNIST (60000 training and 10000 test images of 28 x 28 pixels, 10 classes) from disk.

    The default directory is the one of Debian's package ``dataset-fashion-mnist``
    (``/usr/share/datasets/fashion-mnist``), or the environment variable
    ``LINRBP_FASHION_MNIST``. Nothing is ever downloaded.

    Parameters
    ----------
    directory : str or os.PathLike, optional
        An IDX directory holding Fashion-MNIST (read by :func:`load_idx_dir` with 10 classes).

    Returns
    -------
    Dataset
        Named ``"fashion-mnist"``, 784 inputs in [0, 1].

    Raises
    ------
    ValueError
        An InputError: the directory has no Fashion-MNIST (the message says how to install it),
        or a file is malformed.

    Examples
    --------
    >>> from linrbp.trainer import load_fashion_mnist
    >>> load_fashion_mnist("/no/such/dir")
    Traceback (most recent call last):
    ...
    linrbp.InputError: dataset: Fashion-MNIST not found in /no/such/dir; install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or pass --dataset idx --data-dir DIR
    """
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
    r"""A seeded synthetic task: a random tanh teacher network labels Gaussian inputs.

    Inputs :math:`z \sim N(0, I)`; the teacher has weights :math:`W_1` (n_hidden x n_in) and
    :math:`W_2` (n_classes x n_hidden) with entries :math:`N(0, 1/\mathrm{fan\ in})`; the label is
    :math:`\arg\max W_2 \tanh(2 W_1 z)`. Fully determined by ``seed``; small and fast, for tests
    and examples.

    Parameters
    ----------
    seed : int, default 0
        Seed of the teacher and the inputs.
    n_in : int, default 20
        Input dimension.
    n_hidden : int, default 30
        The teacher's hidden units.
    n_classes : int, default 4
        Number of classes.
    n_train : int, default 2000
        Training examples.
    n_test : int, default 1000
        Test examples.

    Returns
    -------
    Dataset
        Named ``"teacher"``; inputs float32.

    Examples
    --------
    >>> import numpy as np
    >>> from linrbp.trainer import teacher_task
    >>> ds = teacher_task(seed=0, n_train=200, n_test=100)
    >>> ds.x_train.shape, ds.x_test.shape, ds.n_classes
    ((200, 20), (100, 20), 4)
    >>> np.bincount(ds.y_train)
    array([69, 37, 49, 45])
    """
    rng = np.random.default_rng(seed)
    W1 = rng.standard_normal((n_hidden, n_in)) / np.sqrt(n_in)
    W2 = rng.standard_normal((n_classes, n_hidden)) / np.sqrt(n_hidden)
    z = rng.standard_normal((n_train + n_test, n_in))
    y = np.argmax(np.tanh(2.0 * z @ W1.T) @ W2.T, axis=1)
    x = z.astype(np.float32)
    return Dataset("teacher", x[:n_train], y[:n_train], x[n_train:], y[n_train:], n_classes)


def load_dataset(name: str, data_dir=None, seed: int = 0) -> Dataset:
    r"""The data set of a name, as ``linrbp train --dataset`` reads it.

    Parameters
    ----------
    name : {"fashion-mnist", "idx", "teacher", "teacher-binary"}
        ``fashion-mnist`` (:func:`load_fashion_mnist`), ``idx`` (:func:`load_idx_dir` of
        ``data_dir``), ``teacher`` (:func:`teacher_task`, 4 classes) or ``teacher-binary`` (2
        classes: the :math:`\pm 1` regression task of Kickback).
    data_dir : str or os.PathLike, optional
        The directory (``idx``: required; ``fashion-mnist``: overrides the default).
    seed : int, default 0
        Seed of the teacher tasks.

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        An InputError: unknown name, ``idx`` without ``data_dir``, or the loader's error.

    Examples
    --------
    >>> from linrbp.trainer import load_dataset
    >>> ds = load_dataset("teacher-binary", seed=1)
    >>> ds.name, ds.n_classes, len(ds.x_train)
    ('teacher', 2, 2000)
    """
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
