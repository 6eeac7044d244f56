"""Data statistics S_II = E[I I^T] and S_TI = E[T I^T] (docs/theory.md section 0), validated."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._errors import InputError

__all__ = ["DataStats", "as_matrix"]

# Relative tolerances for "symmetric" and "positive semi-definite": rounding in a
# covariance estimated from samples stays far below these.
SYMMETRY_RTOL = 1e-10
PSD_RTOL = 1e-10


def as_matrix(value, field: str, shape: tuple[int, int] | None = None) -> np.ndarray:
    """A finite float64 matrix from nested lists (row-major) or an array, or InputError.

    A scalar is ``[[x]]``; a bare number is accepted as a 1 x 1 matrix.
    """
    if isinstance(value, (bool, np.bool_)):
        raise InputError(f"{field}: expected a matrix (nested lists of numbers), got a boolean")
    if isinstance(value, (int, float, np.integer, np.floating)):
        value = [[value]]
    if isinstance(value, np.ndarray):
        arr = value
    else:
        if not isinstance(value, (list, tuple)) or not all(isinstance(r, (list, tuple)) for r in value):
            raise InputError(f"{field}: expected a matrix as a list of rows, got {type(value).__name__}")
        if len(value) == 0 or any(len(r) != len(value[0]) for r in value):
            raise InputError(f"{field}: rows must be non-empty and of equal length")
        for row in value:
            for x in row:
                if isinstance(x, bool) or not isinstance(x, (int, float)):
                    raise InputError(f"{field}: entry {x!r} is not a number")
        arr = np.array(value, dtype=float)
    if arr.dtype.kind not in "fiu":
        raise InputError(f"{field}: entries must be real numbers")
    arr = np.asarray(arr, dtype=float)
    if arr.ndim != 2:
        raise InputError(f"{field}: expected a 2-d matrix, got {arr.ndim} dimensions")
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{field}: contains NaN or infinity")
    if shape is not None and arr.shape != tuple(shape):
        raise InputError(
            f"{field}: shape {arr.shape[0]}x{arr.shape[1]} does not match the expected "
            f"{shape[0]}x{shape[1]}"
        )
    return arr


@dataclass(frozen=True)
class DataStats:
    r"""The second moments of the data, :math:`S_{II} = \mathbb{E}[I I^T]` and :math:`S_{TI} = \mathbb{E}[T I^T]`.

    The data enter the averaged dynamics only through these (docs/theory.md section 0). Build
    them with :meth:`DataStats.from_matrices` (validated: symmetric, positive semi-definite,
    :math:`S_{TI}` in the row space of :math:`S_{II}`), :meth:`DataStats.from_samples` or
    :meth:`DataStats.whitened`; the constructor itself checks nothing.

    Parameters
    ----------
    sigma_ii : numpy.ndarray, shape (N0, N0)
        :math:`S_{II}`, symmetric positive semi-definite.
    sigma_ti : numpy.ndarray, shape (NL, N0)
        :math:`S_{TI}`.

    Examples
    --------
    >>> import numpy as np, linrbp
    >>> stats = linrbp.DataStats.from_samples([[1.0, -1.0, 2.0]], [[2.0, -2.0, 4.0]])
    >>> stats.sigma_ii.tolist(), stats.sigma_ti.tolist(), stats.optimum().tolist()
    ([[2.0]], [[4.0]], [[2.0]])
    >>> float(stats.excess_loss(np.array([[1.0]])))   # (1/2)(P - P*)^2 S_II
    1.0
    """

    sigma_ii: np.ndarray
    sigma_ti: np.ndarray

    @property
    def n_in(self) -> int:
        return self.sigma_ii.shape[0]

    @property
    def n_out(self) -> int:
        return self.sigma_ti.shape[0]

    @classmethod
    def from_matrices(cls, sigma_ii, sigma_ti, *, definite: bool = False) -> "DataStats":
        r"""The data moments :math:`S_{II}`, :math:`S_{TI}`, validated.

        Checks shapes, finiteness, symmetry and positive semi-definiteness. :math:`S_{TI}` must
        lie in the row space of :math:`S_{II}`, as it does for any data
        (:math:`\mathbb{E}[T I^T] v = 0` whenever :math:`\mathbb{E}[(v^T I)^2] = 0`); otherwise
        the loss is unbounded below. Moments so large that these checks overflow float64 are
        refused, naming the overflow.

        Parameters
        ----------
        sigma_ii : array_like, shape (N0, N0)
            :math:`S_{II} = \mathbb{E}[I I^T]`, symmetric positive semi-definite.
        sigma_ti : array_like, shape (NL, N0)
            :math:`S_{TI} = \mathbb{E}[T I^T]`.
        definite : bool, optional
            Require :math:`S_{II}` positive definite (claims that invert it). Default False.

        Returns
        -------
        DataStats

        Raises
        ------
        InputError
            (a ValueError) naming the matrix and the problem: shape, NaN, asymmetry, a
            negative eigenvalue, :math:`S_{TI}` outside the row space, overflow.

        Examples
        --------
        >>> import linrbp
        >>> stats = linrbp.DataStats.from_matrices([[1.0, 0.0], [0.0, 2.0]], [[1.0, 0.5]])
        >>> stats.n_in, stats.n_out
        (2, 1)
        >>> linrbp.DataStats.from_matrices([[1.0, 2.0], [2.0, 1.0]], [[1.0, 0.5]])
        Traceback (most recent call last):
        ...
        linrbp.InputError: sigma_ii: ...
        """
        sii = as_matrix(sigma_ii, "sigma_ii")
        sti = as_matrix(sigma_ti, "sigma_ti")
        try:
            with np.errstate(over="raise", invalid="raise"):
                return cls._validated(sii, sti, definite)
        except (FloatingPointError, np.linalg.LinAlgError) as exc:
            big = max(np.abs(sii).max(), np.abs(sti).max())
            raise InputError(
                f"sigma_ii, sigma_ti: overflow in float64 while checking the moments ({exc}; the "
                f"largest entry is {big:.3g}): rescale the data") from None

    @classmethod
    def _validated(cls, sii, sti, definite) -> "DataStats":
        if sii.shape[0] != sii.shape[1]:
            raise InputError(f"sigma_ii: must be square, got {sii.shape[0]}x{sii.shape[1]}")
        if sti.shape[1] != sii.shape[0]:
            raise InputError(
                f"sigma_ti: has {sti.shape[1]} columns but sigma_ii is {sii.shape[0]}x{sii.shape[0]}"
            )
        scale = max(np.abs(sii).max(), np.finfo(float).tiny)
        asym = np.abs(sii - sii.T).max()
        if asym > SYMMETRY_RTOL * scale:
            raise InputError(f"sigma_ii: not symmetric (max |S - S^T| = {asym:.3g})")
        sii = 0.5 * (sii + sii.T)
        eig = np.linalg.eigvalsh(sii)
        top = max(eig[-1], 0.0)
        if eig[0] < -PSD_RTOL * max(top, scale):
            raise InputError(
                f"sigma_ii: not positive semi-definite (smallest eigenvalue {eig[0]:.3g})"
            )
        if definite and eig[0] <= PSD_RTOL * max(top, scale):
            raise InputError(
                f"sigma_ii: must be positive definite here (smallest eigenvalue {eig[0]:.3g})"
            )
        if top == 0.0:
            if np.abs(sti).max() > 0:
                raise InputError("sigma_ti: must be zero when sigma_ii is zero")
        else:
            # Component of the rows of S_TI outside range(S_II).
            w, v = np.linalg.eigh(sii)
            null = v[:, w <= PSD_RTOL * top]
            if null.size:
                leak = np.abs(sti @ null).max()
                if leak > 1e-8 * max(np.abs(sti).max(), 1.0):
                    raise InputError(
                        "sigma_ti: inconsistent with sigma_ii (has a component in the null space "
                        f"of sigma_ii, size {leak:.3g}); no data set has these moments"
                    )
        return cls(sii, sti)

    @classmethod
    def from_samples(cls, inputs, targets) -> "DataStats":
        """Empirical moments of m examples: ``inputs`` is N0 x m, ``targets`` NL x m (columns)."""
        X = as_matrix(inputs, "inputs")
        Y = as_matrix(targets, "targets")
        if X.shape[1] != Y.shape[1]:
            raise InputError(
                f"targets: {Y.shape[1]} examples but inputs has {X.shape[1]} (columns are examples)"
            )
        m = X.shape[1]
        return cls.from_matrices(X @ X.T / m, Y @ X.T / m)

    @classmethod
    def whitened(cls, n: int) -> "DataStats":
        """The autoencoder with whitened data: S_II = S_TI = Id."""
        return cls(np.eye(n), np.eye(n))

    def error(self, product: np.ndarray) -> np.ndarray:
        """E(P) = S_TI - P S_II (P may carry leading batch axes)."""
        return self.sigma_ti - product @ self.sigma_ii

    def optimum(self) -> np.ndarray:
        """The least-squares product P* = S_TI S_II^+ (the unique minimiser when S_II > 0)."""
        return self.sigma_ti @ np.linalg.pinv(self.sigma_ii, hermitian=True)

    def excess_loss(self, product: np.ndarray) -> np.ndarray:
        """Err(P) - min Err = 1/2 tr((P - P*) S_II (P - P*)^T); needs no E[T^T T]."""
        D = product - self.optimum()
        return 0.5 * np.einsum("...ij,jk,...ik->...", D, self.sigma_ii, D)
