"""Section 12's limit relations of A[N0,N1,N2] and their Jacobian, in floats and in balls.

With C1 (N1 x N2) of full column rank and C1^T D = W* = S_TI S_II^{-1}, a limit (A1, A2) of a
trajectory satisfies

    P = A2 A1 = W*                      (N2 N0 equations)
    M = C1 A2 + (C1 A2)^T - A1 A1^T = M(0)   (the upper triangle: N1 (N1 + 1)/2)
    N^T A1 = N^T A1(0)                  (N: a basis of the null space of C1^T; (N1 - N2) N0)
    V = |A2|^2/2 - <D, A1> = V_inf      (1; V_inf is V at the limit)

in N1 N0 + N2 N1 unknowns (the theory page, section 12). If the Jacobian has full column rank on
every point of a box around the computed limit, the relations have at most one solution in the
box. With python-flint that is decided in ball arithmetic: every entry of J is a ball over the
box (radius :data:`BOX_RADIUS`), and the determinant of J (square), or of a square subsystem
of as many rows as unknowns (more equations), excludes 0; by the mean value theorem
R(y) - R(z) = J_avg (y - z) with J_avg in the entrywise hull, so R is injective on the box. Without python-flint the float SVD rank is reported instead.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

__all__ = ["BOX_RADIUS", "relation_counts", "lyapunov_jacobian", "lyapunov_relations"]

BOX_RADIUS = 1e-4
RANK_RTOL = 1e-8


def relation_counts(shape) -> tuple[int, int]:
    """(equations, unknowns) of the section-12 relations of A[N0,N1,N2] (C1 of full column rank)."""
    N0, N1, N2 = shape
    return N2 * N0 + N1 * (N1 + 1) // 2 + (N1 - N2) * N0 + 1, N1 * N0 + N2 * N1


def _null_basis_exact(C1):
    """An exact integer basis (columns, as Fractions) of the null space of C1^T, or None
    without python-flint."""
    try:
        from flint import fmpz_mat
    except ImportError:
        return None
    N1, N2 = C1.shape
    if N1 == N2:
        return [[] for _ in range(N1)]
    fr = [[Fraction(float(v)) for v in row] for row in C1.T]
    den = 1
    for row in fr:
        for v in row:
            den = max(den, v.denominator)
    M = fmpz_mat([[int(v * den) for v in row] for row in fr])
    X, nullity = M.nullspace()
    return [[Fraction(int(X[i, j])) for j in range(nullity)] for i in range(N1)]


def _columns(A1, A2, C1, D, N, ops):
    """The Jacobian's columns: one per unknown (A1 entries, then A2's), with ``ops`` the
    arithmetic (numpy floats or flint balls): dP, triu dM, N^T dA1, dV."""
    N1, N0 = len(A1), len(A1[0])
    N2 = len(A2)
    zero = ops["zero"]
    cols = []
    for which in (1, 2):
        rows_, cols_ = (N1, N0) if which == 1 else (N2, N1)
        for a in range(rows_):
            for b in range(cols_):
                col = []
                if which == 1:  # dA1 = e_ab
                    col += [A2[i][a] * (1 if j == b else 0) for i in range(N2) for j in range(N0)]
                    # dM = -(dA1 A1^T + A1 dA1^T): (i, j) -> -(d_ia A1[j][b] + A1[i][b] d_ja)
                    col += [-((A1[j][b] if i == a else zero) + (A1[i][b] if j == a else zero))
                            for i in range(N1) for j in range(i, N1)]
                    col += [N[a][k] * (1 if j == b else 0) for k in range(len(N[0]) if N and N[0] else 0)
                            for j in range(N0)]
                    col.append(-D[a][b])
                else:  # dA2 = e_ab: dP = e_ab A1, dM = C1 e_ab + (C1 e_ab)^T
                    col += [(A1[b][j] if i == a else zero) for i in range(N2) for j in range(N0)]
                    col += [((C1[i][a] if j == b else zero) + (C1[j][a] if i == b else zero))
                            for i in range(N1) for j in range(i, N1)]
                    col += [zero for k in range(len(N[0]) if N and N[0] else 0) for j in range(N0)]
                    col.append(A2[a][b])
                cols.append(col)
    return cols


def lyapunov_jacobian(system, y) -> np.ndarray:
    """The float Jacobian of the section-12 relations at y (rows: equations, columns: unknowns)."""
    (A1, A2), _ = system.unpack(np.asarray(y, dtype=float))
    C1 = np.asarray(system.feedback[0], dtype=float)
    st = system.stats
    Wstar = np.linalg.solve(st.sigma_ii.T, st.sigma_ti.T).T
    D = C1 @ np.linalg.solve(C1.T @ C1, Wstar)
    N1, N2 = C1.shape
    if N1 > N2:
        u, s, vt = np.linalg.svd(C1.T)
        N = vt[N2:].T
    else:
        N = np.zeros((N1, 0))
    cols = _columns(A1.tolist(), A2.tolist(), C1.tolist(), D.tolist(), N.tolist(), {"zero": 0.0})
    return np.array(cols, dtype=float).T


def _square_rows(J) -> list[int]:
    """As many rows of J as it has columns, picked by QR with pivoting on J^T (the best
    conditioned square subsystem; if it is non-singular over the box, R is injective there)."""
    from scipy.linalg import qr

    if J.shape[0] == J.shape[1]:
        return list(range(J.shape[0]))
    _, _, piv = qr(J.T, pivoting=True, mode="economic")
    return sorted(int(i) for i in piv[:J.shape[1]])


def _ball_nonsingular(system, y, radius):
    """True/False: det excludes 0 over the box (ball arithmetic), or None without python-flint."""
    try:
        from flint import arb, arb_mat, ctx
    except ImportError:
        return None
    (A1, A2), _ = system.unpack(np.asarray(y, dtype=float))
    C1 = np.asarray(system.feedback[0], dtype=float)
    N = _null_basis_exact(C1)
    saved = ctx.prec
    ctx.prec = 128
    try:
        st = system.stats
        S = arb_mat([[arb(float(v)) for v in row] for row in st.sigma_ii])
        T = arb_mat([[arb(float(v)) for v in row] for row in st.sigma_ti])
        C = arb_mat([[arb(float(v)) for v in row] for row in C1])
        Wt = S.transpose().solve(T.transpose())          # W*^T = S^-T S_TI^T
        G = C.transpose() * C
        Dm = C * G.solve(Wt.transpose())                 # D = C1 (C1^T C1)^-1 W*
        r = arb(0, radius)
        bA1 = [[arb(float(v)) + r for v in row] for row in A1]
        bA2 = [[arb(float(v)) + r for v in row] for row in A2]
        Dl = [[Dm[i, j] for j in range(Dm.ncols())] for i in range(Dm.nrows())]
        Nl = [[arb(int(v.numerator)) / int(v.denominator) for v in row] for row in N]
        Cl = [[arb(float(v)) for v in row] for row in C1]
        cols = _columns(bA1, bA2, Cl, Dl, Nl, {"zero": arb(0)})
        rows = _square_rows(lyapunov_jacobian(system, y))
        J = arb_mat([[arb(cols[j][i]) for j in range(len(cols))] for i in rows])
        det = J.det()
        return bool(not det.contains(0))
    finally:
        ctx.prec = saved


def lyapunov_relations(system, y, radius: float = BOX_RADIUS) -> dict | None:
    """The section-12 relations at the limit y: counts, float rank and (with python-flint) whether
    the Jacobian is non-singular over the box of ``radius``; None when C1 lacks full column rank."""
    C1 = np.asarray(system.feedback[0], dtype=float)
    N1, N2 = C1.shape
    if N1 < N2 or np.linalg.matrix_rank(C1) < N2:
        return None
    shape = (system.layers[0], N1, N2)
    eq, unk = relation_counts(shape)
    J = lyapunov_jacobian(system, y)
    sv = np.linalg.svd(J, compute_uv=False)
    rank = int(np.sum(sv > RANK_RTOL * sv[0])) if sv.size and sv[0] > 0 else 0
    ball = _ball_nonsingular(system, y, radius) if rank == unk else (False if _has_flint() else None)
    return {"equations": eq, "unknowns": unk, "excess": unk - eq, "rank": rank,
            "full_column_rank": rank == unk, "ball_nonsingular": ball, "box_radius": radius,
            "nonsingular": ball if ball is not None else rank == unk,
            "method": "ball arithmetic (python-flint)" if ball is not None else "float SVD rank"}


def _has_flint() -> bool:
    try:
        import flint  # noqa: F401
    except ImportError:
        return False
    return True
