"""The quantiser of [BSL] section 5: q(x) = clip(s * round(x / s), -alpha, alpha), s = alpha / 2^(bits-1)."""

from __future__ import annotations

import numpy as np

from ..core._errors import InputError

__all__ = ["quantise", "quantiser_levels", "ERROR_ALPHA", "UPDATE_ALPHA"]

ERROR_ALPHA = 2.0 ** -3   # error-signal quantisation range, [BSL] section 5.1
UPDATE_ALPHA = 2.0 ** -6  # weight-update quantisation range, [BSL] section 5.2


def _check(bits, alpha):
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or not 1 <= bits <= 32:
        raise InputError(f"bits: expected an integer in 1..32, got {bits!r}")
    if not alpha > 0:
        raise InputError(f"alpha: expected a positive range, got {alpha!r}")


def quantise(x, bits: int, alpha: float, out=None):
    r"""The quantiser of [BSL] section 5, elementwise: :math:`q(x) = \mathrm{clip}(s\,\mathrm{round}(x/s), -\alpha, \alpha)`.

    The step is :math:`s = \alpha / 2^{\mathrm{bits}-1}`; rounding is half to even (numpy's
    ``rint``). The trainer quantises error signals with :data:`ERROR_ALPHA` and weight updates with
    :data:`UPDATE_ALPHA`.

    Parameters
    ----------
    x : numpy.ndarray or torch.Tensor
        The values.
    bits : int
        Bits, 1..32.
    alpha : float
        The range (positive): outputs lie in :math:`[-\alpha, \alpha]`.
    out : array, optional
        Where to write (may be ``x``); default a new array.

    Returns
    -------
    numpy.ndarray or torch.Tensor
        q(x) in x's dtype.

    Raises
    ------
    ValueError
        An InputError: bits not an integer in 1..32, alpha not positive.

    Examples
    --------
    With 3 bits and alpha = 1/8 the step is 1/32:

    >>> import numpy as np
    >>> from linrbp.trainer import quantise
    >>> quantise(np.array([0.3, 0.02, 0.0049, -0.05]), 3, 0.125)
    array([ 0.125  ,  0.03125,  0.     , -0.0625 ])
    """
    _check(bits, alpha)
    s = alpha / 2.0 ** (bits - 1)
    if hasattr(x, "detach"):  # a torch tensor (the trainer's device backend)
        y = x.mul(1.0 / s) if out is None else out.copy_(x).mul_(1.0 / s)
        return y.round_().mul_(s).clamp_(-alpha, alpha)  # round: half to even, as np.rint
    y = np.multiply(x, 1.0 / s, out=out)
    np.rint(y, out=y)
    y *= s
    return np.clip(y, -alpha, alpha, out=y)


def quantiser_levels(bits: int, alpha: float) -> np.ndarray:
    r"""Every value :func:`quantise` can output: the :math:`2^{\mathrm{bits}} + 1` multiples of :math:`s = \alpha/2^{\mathrm{bits}-1}` in :math:`[-\alpha, \alpha]`.

    Parameters
    ----------
    bits : int
        Bits, 1..32.
    alpha : float
        The range, positive.

    Returns
    -------
    numpy.ndarray
        The levels, ascending.

    Raises
    ------
    ValueError
        An InputError: bits not an integer in 1..32, alpha not positive.

    Examples
    --------
    >>> from linrbp.trainer import quantiser_levels
    >>> quantiser_levels(2, 0.125)
    array([-0.125 , -0.0625,  0.    ,  0.0625,  0.125 ])
    """
    _check(bits, alpha)
    s = alpha / 2.0 ** (bits - 1)
    k = 2 ** (bits - 1)
    return np.arange(-k, k + 1) * s
