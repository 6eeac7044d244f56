"""Proofs of the matrix claims (THEORY.md sections 5, 6, 8, 9)."""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..proof._proof import Proof
from ..core._rules import backward_signals, updates
from ..symbolic import derive_ode

__all__ = ["autoencoder", "single_hidden", "structure", "autoencoder_general", "bp_balance",
           "arbp_offset", "saxe", "lillicrap"]


def _flat(*mats):
    """All entries of several matrices as one column (to assert they all vanish)."""
    return sp.Matrix([x for M in mats for x in M])


def _flow(s, M):
    return M.applyfunc(s.along_flow)


def _E(s):
    A = s.weights
    P = A[-1]
    for W in A[-2::-1]:
        P = P * W
    return s.moments["S_TI"] - P * s.moments["S_II"], P


def _whiten(s):
    S_II, S_TI = s.moments["S_II"], s.moments["S_TI"]
    sub = {x: (1 if i == j else 0) for (i, j), x in np.ndenumerate(np.array(S_II.tolist(), dtype=object))}
    sub.update({x: (1 if i == j else 0) for (i, j), x in np.ndenumerate(np.array(S_TI.tolist(), dtype=object))})
    return sub


def _integrate_linear(layers, rule, sii, sti, weights, feedback, t_max=300.0):
    from scipy.integrate import solve_ivp

    from ..core._field import LinearSystem
    from ..core._stats import DataStats

    sysm = LinearSystem.create(list(layers), rule, DataStats.from_matrices(sii, sti), feedback)
    y0 = sysm.pack(weights, feedback)
    sol = solve_ivp(lambda t, y: sysm(y), (0, t_max), y0, rtol=1e-10, atol=1e-12, method="LSODA")
    return sysm, sol


def autoencoder(sizes=(2, 3)) -> Proof:
    pf = Proof("autoencoder", "A[N,1,N] ([BSL] Lemma 1 and Theorem 6)",
               "A' = C (S_TI - B A S_II), B' = (S_TI - B A S_II) A^T: C B - |A|^2/2 is conserved for "
               "any data; with whitened data A -> lambda C with lambda the unique positive root of "
               "(|C|^2/2) lambda^3 + K lambda - 1 and B A -> C^T C / |C|^2.")
    for N in sizes:
        s = derive_ode([N, 1, N], "srbp")
        A, B = s.weights
        C = s.feedback[0]
        E, _ = _E(s)
        pf.zero(f"N = {N}: derived field is A' = C E, B' = E A^T",
                _flat(s.dA[0] - C * E, s.dA[1] - E * A.T))
        inv = (C * B)[0, 0] - (A * A.T)[0, 0] / 2
        pf.zero(f"N = {N}: d/dt [C B - |A|^2/2] = 0 for any S_II, S_TI (Lemma 1)", s.along_flow(inv))
        w = _whiten(s)
        CB = (C * B)[0, 0]
        pf.zero(f"N = {N}, whitened: A' = C - (C B) A, so A(t) = f(t) C + g(t) A(0) with "
                "f' = 1 - (C B) f, g' = -(C B) g (g decays while C B > 0)", s.dA[0].subs(w) - (C - CB * A))
        lam = sp.Symbol("lambda", positive=True)
        nC2 = (C * C.T)[0, 0]
        fix = {**{a: lam * c for a, c in zip(A, C)}, **{b: c / (lam * nC2) for b, c in zip(B, C)}}
        pf.zero(f"N = {N}: A = lambda C, B = C^T/(lambda |C|^2) is a fixed point (whitened)",
                _flat(s.dA[0].subs(w).subs(fix, simultaneous=True), s.dA[1].subs(w).subs(fix, simultaneous=True)))
        BA = (B * A).subs(fix, simultaneous=True)
        pf.zero(f"N = {N}: there B A = C^T C/|C|^2, an orthogonal projection", BA - C.T * C / nC2)
        K = sp.Symbol("K", real=True)
        pf.zero(f"N = {N}: the invariant there: K = 1/lambda - lambda^2 |C|^2/2, i.e. "
                "(|C|^2/2) lambda^3 + K lambda - 1 = 0",
                sp.expand(-lam * (inv.subs(fix, simultaneous=True) - K)) - (nC2 / 2 * lam ** 3 + K * lam - 1))

    def sign_changes(seq):
        seq = [x for x in seq if x != 0]
        return sum(1 for u, v in zip(seq, seq[1:]) if u * v < 0)

    pf.fact("Descartes: coefficients (+, 0, K, -1) have exactly one sign change for K > 0, K = 0, K < 0: "
            "exactly one positive root lambda",
            all(sign_changes([1, 0, k, -1]) == 1 for k in (1, 0, -1)))

    def converge():
        rng = np.random.default_rng(3)
        worst = 0.0
        for _ in range(3):
            N = 3
            C = rng.normal(size=(1, N))
            A0, B0 = rng.normal(size=(1, N)) * 0.5, rng.normal(size=(N, 1)) * 0.5
            sysm, sol = _integrate_linear([N, 1, N], "srbp", np.eye(N), np.eye(N), [A0, B0], [C])
            (A, B), _ = sysm.unpack(sol.y[:, -1])
            K = (C @ B0)[0, 0] - (A0 @ A0.T)[0, 0] / 2
            roots = np.roots([np.sum(C ** 2) / 2, 0, K, -1])
            lam = roots[(np.abs(roots.imag) < 1e-9) & (roots.real > 0)].real[0]
            worst = max(worst, np.max(np.abs(A - lam * C)) / np.max(np.abs(lam * C)))
        return worst < 1e-6, f"3 whitened N = 3 instances to t = 300: worst |A - lambda C| relative {worst:.1e}"

    pf.numeric("g -> 0: A(t) -> lambda C (integrated)", converge)
    return pf


def single_hidden(sizes=((2, 2, 2), (2, 3, 2), (3, 2, 1))) -> Proof:
    pf = Proof("single-hidden", "A[N0,N1,N2] ([BSL] Theorems 7-10)",
               "A1' = C1 E, A2' = E A1^T, E = S_TI - A2 A1 S_II: C1 A2 + (C1 A2)^T - A1 A1^T is "
               "conserved; A1 and C1 A2 stay bounded and C1 A2 A1 -> C1 S_TI S_II^-1.")
    for layers in sizes:
        s = derive_ode(list(layers), "srbp")
        A1, A2 = s.weights
        C1 = s.feedback[0]
        E, _ = _E(s)
        pf.zero(f"A{list(layers)}: derived field is A1' = C1 E, A2' = E A1^T",
                _flat(s.dA[0] - C1 * E, s.dA[1] - E * A1.T))
        M = C1 * A2 + (C1 * A2).T - A1 * A1.T
        pf.zero(f"A{list(layers)}: C1 A2 + (C1 A2)^T - A1 A1^T is conserved", _flow(s, M))
        r = derive_ode(list(layers), "rbp")
        pf.zero(f"A{list(layers)}: RBP = SRBP with one hidden layer (identical derived fields)",
                sp.Matrix(r.field) - sp.Matrix(s.field).subs(dict(zip(s.feedback[0], r.feedback[0]))))

    def partial():
        rng = np.random.default_rng(4)
        worst, worst_b = 0.0, 0.0
        for layers in [(3, 2, 2), (2, 3, 2), (3, 4, 2)]:
            n0, n1, n2 = layers
            X = rng.normal(size=(n0, 2 * n0))
            sii = X @ X.T / (2 * n0) + 0.2 * np.eye(n0)
            sti = rng.normal(size=(n2, n0))
            C = rng.normal(size=(n1, n2))
            W = [rng.normal(size=(n1, n0)) * 0.3, rng.normal(size=(n2, n1)) * 0.3]
            sysm, sol = _integrate_linear(layers, "srbp", sii, sti, W, [C], t_max=400.0)
            (A1, A2), _ = sysm.unpack(sol.y[:, -1])
            target = C @ sti @ np.linalg.inv(sii)
            worst = max(worst, np.max(np.abs(C @ A2 @ A1 - target)) / np.max(np.abs(target)))
            norms = np.linalg.norm(sysm.unpack(sol.y.T)[0][0], axis=(1, 2))
            worst_b = max(worst_b, norms.max())
        return worst < 1e-6, (f"3 shapes to t = 400: worst relative |C1 A2 A1 - C1 S_TI S_II^-1| {worst:.1e}; "
                              f"max |A1| along the paths {worst_b:.2f}")

    pf.numeric("Theorems 7-8: trajectories bounded, C1 A2 A1 -> C1 S_TI S_II^-1", partial)

    def thm10():
        rng = np.random.default_rng(5)
        worst = 0.0
        for _ in range(3):
            W = [rng.normal(size=(2, 2)) * 0.5, rng.normal(size=(2, 2)) * 0.5]
            sysm, sol = _integrate_linear((2, 2, 2), "srbp", np.eye(2), np.eye(2), W, [np.eye(2)], 400.0)
            worst = max(worst, np.max(np.abs(sysm(sol.y[:, -1]))))
        return worst < 1e-8, f"A[2,2,2], S = C1 = Id, 3 starts: worst |velocity| at t = 400 {worst:.1e}"

    pf.numeric("Theorem 10: A(t), B(t) converge individually (velocity -> 0)", thm10)
    return pf


def _per_example(layers, rule, feedback=None, delta_sign=1, zero_error=False, deriv=True):
    """Symbolic per-example updates through the rule statement (with symbolic f' factors)."""
    L = len(layers) - 1
    A = [sp.Matrix(layers[h], layers[h - 1], lambda i, j, h=h: sp.Symbol(f"a{h}_{i}{j}")) for h in range(1, L + 1)]
    O = [sp.Matrix(layers[0], 1, lambda i, j: sp.Symbol(f"i_{i}"))]
    for W in A:
        O.append(W * O[-1])
    d = sp.Matrix(layers[-1], 1, lambda i, j: sp.Symbol(f"d_{i}")) * delta_sign
    if zero_error:
        d = sp.zeros(layers[-1], 1)
    D = [sp.Matrix(layers[h], 1, lambda i, j, h=h: sp.Symbol(f"f{h}_{i}")) for h in range(1, L)] if deriv else None
    deltas = backward_signals(rule, A, feedback or [], d, D)
    return updates(rule, deltas, O), A


def structure() -> Proof:
    pf = Proof("structure", "identities about the rules ([BSL] sections 3 and 6)",
               "The top-layer update is the same under every rule; flipping T - O flips every update; "
               "T - O = 0 gives zero updates; with one hidden layer RBP = SRBP; equal widths: RBP with "
               "C_h equals SRBP with C_h...C_{L-1}; A[N0,N1,1] with sign-congruent feedback: the lower "
               "update lies in the gradient's orthant; ARBP conserves C_h - A_{h+1}^T.")
    layers = [2, 2, 2, 2]
    fb = {"next": [sp.Matrix(2, 2, lambda i, j, h=h: sp.Symbol(f"c{h}_{i}{j}")) for h in (1, 2)]}
    tops = {}
    for rule in ("bp", "rbp", "srbp", "arbp", "asrbp"):
        (dA, dC), _ = _per_example(layers, rule, fb["next"] if rule != "bp" else None)
        tops[rule] = dA[-1]
        (dAm, dCm), _ = _per_example(layers, rule, fb["next"] if rule != "bp" else None, delta_sign=-1)
        pf.zero(f"Fact 2 ({rule}, with f'): T - O -> -(T - O) flips every update",
                _flat(*[x + y for x, y in zip(dA + dC, dAm + dCm)]))
        (dA0, dC0), _ = _per_example(layers, rule, fb["next"] if rule != "bp" else None, zero_error=True)
        pf.zero(f"Fact 3 ({rule}): T - O = 0 gives zero updates",
                _flat(*(dA0 + dC0)))
    pf.zero("Fact 1: the top layer's update is identical under all five rules",
            _flat(*[tops[r] - tops["bp"] for r in tops]))
    (dr, _), _ = _per_example([2, 3, 2], "rbp", [sp.Matrix(3, 2, lambda i, j: sp.Symbol(f"c_{i}{j}"))])
    (ds, _), _ = _per_example([2, 3, 2], "srbp", [sp.Matrix(3, 2, lambda i, j: sp.Symbol(f"c_{i}{j}"))])
    pf.zero("L = 2: RBP and SRBP give identical updates", _flat(dr[0] - ds[0]))
    C1, C2 = fb["next"]
    (dr, _), _ = _per_example(layers, "rbp", [C1, C2], deriv=False)
    (ds, _), _ = _per_example(layers, "srbp", [C1 * C2, C2], deriv=False)
    pf.zero("equal widths, linear: RBP with C_h equals SRBP with C_h...C_{L-1}",
            _flat(*[x - y for x, y in zip(dr, ds)]))
    n0, n1 = 2, 3
    c = sp.Matrix(n1, 1, lambda i, j: sp.Symbol(f"c_{i}"))
    (dr, _), A = _per_example([n0, n1, 1], "rbp", [c], deriv=False)
    (dg, _), _ = _per_example([n0, n1, 1], "bp", None, deriv=False)
    prod = sp.Matrix(n1, n0, lambda i, j: dr[0][i, j] * dg[0][i, j])
    pf.zero("Fact 4: entrywise, (RBP lower update)(gradient) = c_i a2_i (e I_j)^2",
            prod - sp.Matrix(n1, n0, lambda i, j: c[i] * A[1][0, i] * (sp.Symbol("d_0") * sp.Symbol(f"i_{j}")) ** 2))
    pz, q = sp.Symbol("c_i a2_i", positive=True), sp.Symbol("e I_j", real=True)
    pf.sign("with c_i a2_i > 0 that product is >= 0: same orthant as the gradient", pz * q ** 2, "nonnegative")
    for lay in ([2, 2, 2], [1, 2, 2, 1]):
        s = derive_ode(lay, "arbp")
        pf.zero(f"ARBP A{lay}: C_h - A_(h+1)^T conserved",
                _flat(*[_flow(s, s.feedback[h] - s.weights[h + 1].T) for h in range(len(lay) - 2)]))
    from ..symbolic import scalar_chain_ode
    s = scalar_chain_ode(2, "arbp")
    pf.zero("ARBP A[1,1,1]: c1 - a2 is constant", s.along_flow(s.states[2] - s.states[1]))

    def srbp_multiplications(lay):
        """Multiplications in SRBP's hidden deltas: one term a*d per feedback weight."""
        L = len(lay) - 1
        fbm = [sp.Matrix(lay[h], lay[L], lambda i, j, h=h: sp.Symbol(f"m{h}_{i}{j}")) for h in range(1, L)]
        A = [sp.Matrix(lay[h], lay[h - 1], lambda i, j, h=h: sp.Symbol(f"a{h}_{i}{j}")) for h in range(1, L + 1)]
        d = sp.Matrix(lay[-1], 1, lambda i, j: sp.Symbol(f"d_{i}"))
        deltas = backward_signals("srbp", A, fbm, d)
        return sum(len(sp.Add.make_args(sp.expand(x))) for dl in deltas[:-1] for x in dl)

    lay = [3, 4, 5, 2]
    pf.fact("backward-pass cost, A[3,4,5,2]: SRBP needs W' = sum_(h<L) N_h N_L multiplications "
            "(one per feedback weight)", srbp_multiplications(lay) == sum(lay[h] * lay[-1] for h in range(1, 3)),
            f"counted {srbp_multiplications(lay)}, W' = {sum(lay[h] * lay[-1] for h in range(1, 3))}")
    return pf


def autoencoder_general() -> Proof:
    pf = Proof("autoencoder-general", "A[N,p,N] with fixed C and any invertible S = S_II = S_TI",
               "At a fixed point C = C B A and B = S A^T (A S A^T)^-1, row(A) = row(C) and "
               "B A = S C^T (C S C^T)^-1 C; optimal only when row(C) is the top-p eigenspace of S.")
    N, p = 3, 2
    s = derive_ode([N, p, N], "srbp")
    rng = np.random.default_rng(6)
    X = sp.Matrix(rng.integers(-3, 4, size=(N, N)).tolist())
    S = X * X.T + sp.eye(N)
    C = sp.Matrix(rng.integers(-3, 4, size=(p, N)).tolist())
    Mx = sp.Matrix([[2, 1], [1, 3]])
    A = Mx * C
    B = S * A.T * (A * S * A.T).inv()
    sub = {**dict(zip(s.moments["S_II"], S)), **dict(zip(s.moments["S_TI"], S)),
           **dict(zip(s.feedback[0], C)), **dict(zip(s.weights[0], A)), **dict(zip(s.weights[1], B))}
    pf.given("exact rational instance: S = X X^T + I, integer C, A = M C (row(A) = row(C)), "
             "B = S A^T (A S A^T)^-1", sp.Matrix.hstack(S, C.T))
    pf.zero("the derived field vanishes there", sp.Matrix(s.field).xreplace(sub))
    pf.zero("B A = S C^T (C S C^T)^-1 C", B * A - S * C.T * (C * S * C.T).inv() * C)
    pf.zero("C B A = C", C * B * A - C)
    pf.zero("the product is idempotent (a projection)", (B * A) ** 2 - B * A)

    def optimal():
        rng2 = np.random.default_rng(7)
        Xn = rng2.normal(size=(N, N))
        Sn = Xn @ Xn.T + 0.5 * np.eye(N)
        w, V = np.linalg.eigh(Sn)

        def loss(Cn):
            P = Sn @ Cn.T @ np.linalg.inv(Cn @ Sn @ Cn.T) @ Cn
            return 0.5 * np.trace((np.eye(N) - P) @ Sn @ (np.eye(N) - P).T)
        top = loss(V[:, -p:].T)
        best = 0.5 * w[:-p].sum()
        other = loss(rng2.normal(size=(p, N)))
        return abs(top - best) < 1e-10 and other > best + 1e-6, (
            f"loss with row(C) = top-{p} eigenspace {top:.6f} = optimum {best:.6f}; random C {other:.6f}")

    pf.numeric("optimality iff row(C) is the top-p eigenspace", optimal)
    return pf


def bp_balance(sizes=([2, 2, 2], [2, 3, 2], [1, 2, 2, 1]), rule: str = "bp") -> Proof:
    pf = Proof("bp-balance", "BP conserves A_{h+1}^T A_{h+1} - A_h A_h^T",
               "Under BP, A_{h+1}^T A_{h+1} - A_h A_h^T is conserved for every h and any S_II.")
    for lay in sizes:
        s = derive_ode(list(lay), rule)
        A = s.weights
        pf.zero(f"A{list(lay)} under {rule}: every balance matrix is conserved",
                _flat(*[_flow(s, A[h + 1].T * A[h + 1] - A[h] * A[h].T) for h in range(len(lay) - 2)]))
    return pf


def arbp_offset(sizes=([2, 2, 2], [1, 2, 2, 1])) -> Proof:
    pf = Proof("arbp-offset", "ARBP is BP with a fixed feedback offset",
               "Under ARBP every C_h - A_{h+1}^T is constant, so ARBP is BP with the offset "
               "D_h = C_h - A_{h+1}^T fixed at its initial value.")
    for lay in sizes:
        s = derive_ode(list(lay), "arbp")
        b = derive_ode(list(lay), "bp")
        L = len(lay) - 1
        pf.zero(f"A{list(lay)}: each C_h - A_(h+1)^T is conserved",
                _flat(*[_flow(s, s.feedback[h] - s.weights[h + 1].T) for h in range(L - 1)]))
        sym = {x: y for h in range(L - 1) for x, y in zip(s.feedback[h], s.weights[h + 1].T)}
        pf.zero(f"A{list(lay)}: with zero offset (C_h = A_(h+1)^T) the ARBP weight field is the BP field",
                sp.Matrix(s.field[:len(b.field)]).subs(sym) - sp.Matrix(b.field))
    return pf


def saxe() -> Proof:
    pf = Proof("saxe", "BP on A[N,N,N] with balanced decoupled start (Saxe et al.)",
               "Each mode strength follows u(t) = s e^{2st} / (e^{2st} - 1 + s/u0).")
    t, s_, u0 = sp.symbols("t s u0", positive=True)
    u = s_ * sp.exp(2 * s_ * t) / (sp.exp(2 * s_ * t) - 1 + s_ / u0)
    pf.zero("u solves u' = 2 u (s - u)", sp.diff(u, t) - 2 * u * (s_ - u))
    pf.zero("u(0) = u0", u.subs(t, 0) - u0)
    sys2 = derive_ode([2, 2, 2], "bp")
    s1, s2, v1, v2 = sp.symbols("s1 s2 v1 v2", positive=True)
    sub = {**_whiten(sys2)}
    S_TI = sys2.moments["S_TI"]
    sub.update({S_TI[0, 0]: s1, S_TI[1, 1]: s2, S_TI[0, 1]: 0, S_TI[1, 0]: 0})
    D = sp.diag(v1, v2)
    sub.update(dict(zip(sys2.weights[0], D)))
    sub.update(dict(zip(sys2.weights[1], D)))
    pf.zero("A[2,2,2], S_II = Id, S_TI = diag(s), A1 = A2 = diag(sqrt(u)) = diag(v): both layers get "
            "diag(v (s - v^2)), so the start stays balanced and u = v^2 obeys u' = 2u(s - u)",
            _flat(sys2.dA[0].subs(sub) - sp.diag(v1 * (s1 - v1 ** 2), v2 * (s2 - v2 ** 2)),
                  sys2.dA[1].subs(sub) - sp.diag(v1 * (s1 - v1 ** 2), v2 * (s2 - v2 ** 2))))
    return pf


def lillicrap() -> Proof:
    pf = Proof("lillicrap", "A[N0,N1,1] with whitened input, zero start (Lillicrap et al.)",
               "The conserved matrix is zero and the limit is A2 = c b^T, A1 = b r^T with r parallel to "
               "the target row, |r| = (2|T|/|b|^2)^(1/3), c = |r|^2/2.")
    s = derive_ode([2, 2, 1], "srbp")
    A1, A2 = s.weights
    b = s.feedback[0]
    t1, t2 = sp.symbols("t1 t2", real=True)
    sub = {**_whiten(s)}
    S_TI = s.moments["S_TI"]
    sub.update({S_TI[0, 0]: t1, S_TI[0, 1]: t2})
    rho = sp.Symbol("rho", positive=True)
    nt = sp.sqrt(t1 ** 2 + t2 ** 2)
    nb2 = (b.T * b)[0, 0]
    r = sp.Matrix([[t1, t2]]) * rho / nt
    c = rho ** 2 / 2
    fix = {**dict(zip(A2, c * b.T)), **dict(zip(A1, b * r))}
    M = b * A2 + (b * A2).T - A1 * A1.T
    pf.zero("the conserved matrix b A2 + (b A2)^T - A1 A1^T vanishes at the candidate (and at the zero start)",
            M.subs(fix, simultaneous=True))
    field = sp.Matrix(s.field).subs(sub).subs(fix, simultaneous=True)
    pf.zero("the derived field vanishes there when rho^3 = 2|T|/|b|^2",
            field.subs(rho, (2 * nt / nb2) ** sp.Rational(1, 3)))
    return pf
