"""The Gaussian integrals of the teacher-student ODEs (the theory page, section 11).

The local fields u = (lambda_1..lambda_K, nu_1..nu_M) are jointly Gaussian with covariance
C = [[Q, R], [R^T, T]]. For an activation g the ODEs need

    I2(a,b) = E g(u_a) g(u_b)          J2(i,k) = E g'(u_i) g'(u_k)
    I3(i,b,c) = E g'(u_i) u_b g(u_c)   I4(i,k,c,d) = E g'(u_i) g'(u_k) g(u_c) g(u_d)

(i, k students; b, c, d any unit). In I3 the first index carries g', the second is the linear
factor and the third carries g. Closed forms for g(z) = erf(z / sqrt 2) and g(z) = z, all
entries at once with numpy broadcasting.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["ACTIVATIONS", "moments", "activation", "derivative"]

ACTIVATIONS = ("erf", "linear")
_SQRT2 = math.sqrt(2.0)


def activation(name: str, z):
    """g(z): erf(z / sqrt 2) or z."""
    if name == "linear":
        return np.asarray(z, dtype=float)
    from scipy.special import erf
    return erf(np.asarray(z, dtype=float) / _SQRT2)


def derivative(name: str, z):
    """g'(z): sqrt(2 / pi) exp(-z^2 / 2) for erf(z / sqrt 2), 1 for z."""
    z = np.asarray(z, dtype=float)
    if name == "linear":
        return np.ones_like(z)
    return math.sqrt(2.0 / math.pi) * np.exp(-0.5 * z * z)


def moments(C: np.ndarray, K: int, name: str):
    r"""The Gaussian integrals of the teacher-student ODEs (docs/theory.md section 11), all entries at once.

    The local fields :math:`u = (\lambda_1, \dots, \lambda_K, \nu_1, \dots, \nu_M)` are jointly
    Gaussian with covariance :math:`C = [[Q, R], [R^T, T]]`; with g the activation,
    :math:`I_2(a, b) = E\, g(u_a) g(u_b)`, :math:`J_2(i, k) = E\, g'(u_i) g'(u_k)`,
    :math:`I_3(i, b, c) = E\, g'(u_i) u_b g(u_c)` and
    :math:`I_4(i, k, c, d) = E\, g'(u_i) g'(u_k) g(u_c) g(u_d)` (i, k students; b, c, d any unit).
    Closed forms for :math:`g(z) = \mathrm{erf}(z/\sqrt{2})` and :math:`g(z) = z`.

    Parameters
    ----------
    C : array_like, shape (P, P)
        The covariance of the local fields, P = K + M (students first), positive semi-definite.
    K : int
        Number of students (hidden units).
    name : {"erf", "linear"}
        The activation (:data:`ACTIVATIONS`).

    Returns
    -------
    I2 : numpy.ndarray
        Shape (P, P).
    J2 : numpy.ndarray
        Shape (K, K).
    I3 : numpy.ndarray
        Shape (K, P, P): the first index carries g', the second is the linear factor, the third
        carries g.
    I4 : numpy.ndarray
        Shape (K, K, P, P).

    Examples
    --------
    One student and one teacher with overlap 0.5. For erf,
    :math:`I_2(a, b) = \frac{2}{\pi} \arcsin \frac{C_{ab}}{\sqrt{(1 + C_{aa})(1 + C_{bb})}}`, which a
    Monte Carlo estimate confirms:

    >>> import numpy as np
    >>> from scipy.special import erf
    >>> from linrbp.teacher_student import moments
    >>> C = np.array([[1.0, 0.5], [0.5, 1.0]])
    >>> I2, J2, I3, I4 = moments(C, 1, "erf")
    >>> I2.round(6)
    array([[0.333333, 0.160861],
           [0.160861, 0.333333]])
    >>> I3.shape, I4.shape
    ((1, 2, 2), (1, 1, 2, 2))
    >>> u = np.random.default_rng(0).multivariate_normal([0.0, 0.0], C, size=400_000)
    >>> g = erf(u / np.sqrt(2))
    >>> bool(abs(np.mean(g[:, 0] * g[:, 1]) - I2[0, 1]) < 3e-3)
    True

    For the linear activation the integrals are the covariances themselves:

    >>> moments(C, 1, "linear")[0]
    array([[1. , 0.5],
           [0.5, 1. ]])
    """
    C = np.asarray(C, dtype=float)
    P = C.shape[0]
    if name == "linear":
        I2 = C.copy()
        J2 = np.ones((K, K))
        I3 = np.broadcast_to(C, (K, P, P)).copy()
        I4 = np.broadcast_to(C, (K, K, P, P)).copy()
        return I2, J2, I3, I4
    d = 1.0 + np.diag(C)                          # 1 + C_aa
    I2 = (2 / math.pi) * np.arcsin(np.clip(C / np.sqrt(np.outer(d, d)), -1.0, 1.0))
    Cs = C[:K]                                     # rows of the students (K, P)
    ds = d[:K]
    L2 = np.outer(ds, ds) - Cs[:, :K] ** 2
    J2 = (2 / math.pi) / np.sqrt(L2)
    # I3[a, b, c] = 2/pi (C_bc (1 + C_aa) - C_ab C_ac) / ((1 + C_aa) sqrt(L3[a, c]))
    L3 = ds[:, None] * d[None, :] - Cs ** 2        # (K, P): a, c
    num = C[None, :, :] * ds[:, None, None] - Cs[:, :, None] * Cs[:, None, :]
    I3 = (2 / math.pi) * num / (ds[:, None, None] * np.sqrt(L3)[:, None, :])
    # I4[a, b, c, d]
    Cab = Cs[:, :K]                                # (K, K)
    L4 = np.outer(ds, ds) - Cab ** 2               # (K, K)
    da = ds[:, None, None, None]
    db = ds[None, :, None, None]
    Cac = Cs[:, None, :, None]                     # a, c
    Cad = Cs[:, None, None, :]                     # a, d
    Cbc = Cs[None, :, :, None]                     # b, c
    Cbd = Cs[None, :, None, :]                     # b, d
    ab = Cab[:, :, None, None]
    L4b = L4[:, :, None, None]
    L0 = L4b * C[None, None] - Cbc * Cbd * da - Cac * Cad * db + ab * Cac * Cbd + ab * Cad * Cbc
    # L1[a, b, c] = L4 (1 + C_cc) - C_bc^2 (1 + C_aa) - C_ac^2 (1 + C_bb) + 2 C_ab C_ac C_bc
    L1 = (L4[:, :, None] * d[None, None, :] - Cs[None, :, :] ** 2 * ds[:, None, None]
          - Cs[:, None, :] ** 2 * ds[None, :, None] + 2 * Cab[:, :, None] * Cs[:, None, :] * Cs[None, :, :])
    arg = L0 / np.sqrt(L1[:, :, :, None] * L1[:, :, None, :])
    I4 = (4 / math.pi ** 2) / np.sqrt(L4b) * np.arcsin(np.clip(arg, -1.0, 1.0))
    return I2, J2, I3, I4
