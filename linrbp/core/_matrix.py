"""The matrix protocol a rule is written in: ``@``, ``+``, ``-``, scalars, :func:`transpose`,
elementwise product and :func:`sign`, shared by numpy arrays (with any leading batch axes),
sympy matrices and torch tensors, so the averaged ODE, the symbolic derivation and the trainers
run one statement of each rule (:mod:`linrbp.core._rules`)."""

from __future__ import annotations

import difflib

__all__ = ["transpose", "sign", "nearest"]


# -- the matrix protocol --------------------------------------------------------------------
def transpose(x):
    """x^T of a numpy array (last two axes; leading batch axes kept) or a sympy matrix.

    A rule's functions (:class:`Rule` ``backward``, ``weight_drift``, ``feedback_drift``) use
    this instead of ``.T``, so one statement runs on batches of numpy matrices (the averaged
    ODE), on sympy matrices (the derivation) and on torch tensors (the trainer).

    Parameters
    ----------
    x : numpy.ndarray, sympy.Matrix or torch.Tensor
        A matrix, or a stack of matrices (numpy/torch: the last two axes).

    Returns
    -------
    object
        The transpose, of the same kind as ``x``.

    Examples
    --------
    >>> import numpy as np, sympy, linrbp
    >>> linrbp.transpose(np.zeros((5, 2, 3))).shape
    (5, 3, 2)
    >>> linrbp.transpose(sympy.Matrix([[1, 2]]))
    Matrix([
    [1],
    [2]])
    """
    return x.swapaxes(-1, -2) if hasattr(x, "swapaxes") else x.T


_transpose = transpose


def sign(x):
    """Entrywise sign (-1, 0, 1) of a numpy array, a sympy matrix or a torch tensor.

    For a rule's functions (sign-symmetry's :math:`B_h = \\operatorname{sign}(A_{h+1}^T)`), in
    place of ``np.sign``, which a sympy matrix does not take.

    Parameters
    ----------
    x : numpy.ndarray, sympy.Matrix or torch.Tensor

    Returns
    -------
    object
        The entrywise sign, of the same kind as ``x``.

    Examples
    --------
    >>> import numpy as np, sympy, linrbp
    >>> linrbp.sign(np.array([[-2.0, 0.0, 3.0]]))
    array([[-1.,  0.,  1.]])
    >>> linrbp.sign(sympy.Matrix([[-2, 5]]))
    Matrix([[-1, 1]])
    """
    if hasattr(x, "applyfunc"):
        import sympy
        return x.applyfunc(sympy.sign)
    if hasattr(x, "sign") and not hasattr(x, "__array__"):  # a torch tensor
        return x.sign()
    import numpy as np
    return np.sign(x)


def _hadamard(x, y):
    return x.multiply_elementwise(y) if hasattr(x, "multiply_elementwise") else x * y


def _zero_like(x):
    return x * 0


def _is_symbolic(v) -> bool:
    return bool(getattr(v, "free_symbols", None))


def nearest(word: str, choices) -> str:
    """' (did you mean X?)' for the closest of ``choices`` (difflib), else ''."""
    choices = list(choices)
    lower = {str(c).lower(): c for c in choices}
    m = difflib.get_close_matches(str(word).lower(), list(lower), n=1, cutoff=0.5)
    return f" (did you mean {lower[m[0]]!r}?)" if m else ""
