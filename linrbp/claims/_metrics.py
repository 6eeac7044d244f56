"""What each numeric check's error measures, and in which unit (metadata as data).

``METRICS[claim ID][check name]`` is set as the check's ``metric`` when the catalogue loads
(:mod:`linrbp.claims`): ``linrbp verify --json`` and ``--html`` show it beside the worst error.
Text with ``$...$`` TeX maths, as the claims' statements. "Relative" without more is
``max |X - Y| / max |Y|`` over the entries (dimensionless). Symbolic checks need no entry: their
error is 0 when the identity simplifies to zero exactly, 1 when it does not. A test
(tests/test_html_report.py) keeps every numeric check of the catalogue described and no entry
stale.
"""

from __future__ import annotations

_REL = r"relative, $\max|X - Y| / \max|Y|$ over the entries"
_LIMIT_START = (r"worst over the starts of $|P_s - P_\infty| / |P_\infty|$ (integrated product "
                r"against the closed form) and $|P_s - P_0| / |P_0|$ (start independence), "
                r"max-entry norms; dimensionless; a run that does not converge counts as $\infty$")

METRICS: dict[str, dict[str, str]] = {
    "poly1d": {
        "limit-vs-integration": "integrated end point against the closed-form limit, "
            r"$|x(\infty) - x^*| / \max(1, |x^*|)$; for a blow-up, $|T^*_{int} - T^*| / T^*$ "
            r"(relative blow-up time); dimensionless; a wrong status counts as $\infty$",
        "double-root-limit": r"as limit-vs-integration, at double roots: $|x(\infty) - x^*| / \max(1, |x^*|)$, "
            "dimensionless",
        "blowup-time-quadrature-vs-partial-fractions": r"$|T^*_{pf} - T^*_{quad}| / T^*_{quad}$: relative "
            "difference of the blow-up time by partial fractions and by quadrature",
        "convergence-iff-odd-negative": "0 when 'every solution converges' (closed form at 16 starts) "
            "agrees with 'deg Q odd, leading coefficient < 0', 1 when not",
        "real-roots-multiplicity": r"$\max |r - r_{built}| / \max(1, |r_{built}|)$ over the roots "
            r"(relative to the roots the polynomial was built from); $\infty$ when a multiplicity differs",
    },
    "chain111": {
        "limit-vs-integration": r"$\max|a(\infty) - a^*| / \max|a^*|$ over $(a_1, a_2)$: integrated "
            "limit against chain111_limit, relative; an unconverged run counts as $\\infty$",
        "invariant-drift": r"$|K(t_{end}) - K(0)|$ for $K = a_2 - a_1^2/(2 c_1)$, relative to the "
            "largest of its two terms at both ends",
        "limit-on-hyperbola-and-stable": r"the larger of $|\beta a_1 a_2 - \alpha| / |\alpha|$ at the "
            r"closed-form limit and the negative part of $a_1^2 + c_1 a_2$ relative to $a_1^2 + |c_1 a_2|$",
        "linearisation": r"the larger of: the finite-difference Jacobian's eigenvalues against "
            r"$\{0, -\beta(a_1^2 + c_1 a_2)\}$ relative to $|\beta(a_1^2 + c_1 a_2)|$, and it against "
            r"the hand-written Jacobian (relative, max entry); $\infty$ if chain111_stable disagrees",
        "symmetries": r"relative difference of the limits under $\alpha \to -\alpha$ (expects $a_1 \to -a_1$) "
            r"and $c_1 \to -c_1$ (expects $a \to -a$), the larger",
        "pdot-sign-changes-vs-closed-form": "|integrated - predicted| number of sign changes of $P'$ "
            "along the trajectory (a count)",
        "bp-invariant": r"$|(a_1^2 - a_2^2)(t_{end}) - (a_1^2 - a_2^2)(0)|$ under BP, relative to the "
            "largest square",
        "trivial-cases": r"relative error of the end state: $c_1 = 0$ against $(a_1, \alpha/(\beta a_1))$, "
            r"$\alpha = \beta = 0$ against the start (integration and closed form)",
        "tangency-double-root": "relative difference of chain111_limit from the tangency point (double "
            "root of the cubic)",
    },
    "chain": {
        "limit-vs-integration": r"$\max_h |a_h(\infty) - a_h^*| / \max_h |a_h^*|$: integrated limit "
            "against chain_limit, relative; an unconverged run counts as $\\infty$",
        "invariant-drift": r"$\max_h |K_h(t_{end}) - K_h(0)|$, each relative to the size of its two terms",
        "limit-is-stable-minimum": r"at the closed-form limit: $|e|$ relative, and the negative part of "
            "$S$ relative to its scale (0 when not unstable), the larger",
        "jacobian-rank-one": "max of: hand-written Jacobian against central differences (relative to its "
            r"largest entry), and the non-zero eigenvalue against $-\beta S$ and the others against 0 "
            "(relative to the eigenvalue scale)",
        "pdot-formula-and-chain-field-vs-rule": r"relative difference of $P'$ from the rule's field and "
            "$e S$, and of chain_field from the rule's field, the larger",
        "consistency: field zero on e = 0, non-zero off it": r"$\max|a'_h|$ on $e = 0$ relative to the "
            r"field's scale; $\infty$ if some $a'_h$ vanishes off it",
        "bp-invariants": r"$\max |(a_h^2 - a_k^2)(t_{end}) - (a_h^2 - a_k^2)(0)| / \max a_h^2$ under BP",
        "degree-and-leading-coefficient": r"$|q_{lead} - q_{expected}| / |q_{expected}|$ (relative); "
            r"$\infty$ when $\deg Q \neq 2^L - 1$",
    },
    "wide1N1": {
        "limit-vs-integration": r"$\max|(a, b)(\infty) - (a, b)^*| / \max|(a, b)^*|$: integrated "
            "limit against the closed form, relative; an unconverged run counts as $\\infty$",
        "invariant-drift": r"$\max_i$ drift of $b_i - a_i^2/(2 c_i)$ and of $a_i - (c_i/c_1) a_1$ from "
            "start to end, each relative to its terms' size",
        "pdot-and-fixed-set": r"$|P'_{field} - e \sum_i (a_i^2 + c_i b_i)|$ relative to "
            r"$|e| \sum_i (a_i^2 + |c_i b_i|)$, and $|\beta P(\infty) - \alpha|$ relative, the larger",
        "cubic-leading-coefficient": r"$|q_3 - q_{expected}| / |q_{expected}|$ (relative); $\infty$ "
            "when Q is not a cubic",
        "consistency: rbp-equals-srbp (one backward step, same code)": r"$\max|f_{rbp} - f_{srbp}| / "
            r"\max|f_{rbp}|$ of the two rules' fields (exact: tolerance 0)",
    },
    "autoencoder": {
        "Lemma 1: dK/dt = 0 along the field (random data, N <= 30)": r"$|dK/dt| / (|C||B'| + |A||A'|)$ "
            "at the start (relative rate)",
        "Lemma 1: K drifts < 1e-9 along trajectories to the limit (random data, N = 3)":
            r"$|K(t_{end}) - K(0)| / \max(|C B|, |A|^2/2)$ at both ends; a diverged run counts as $\infty$",
        "Theorem 6: A, B, B A reach lambda C, C^T/(lambda|C|^2), C^T C/|C|^2 (whitened)":
            f"worst of A, B and B A against the Theorem 6 closed forms, {_REL}",
        "diagonal S_II = S_TI: converges to B A = S C^T (C S C^T)^{-1} C":
            f"integrated B A against the formula, {_REL}; unconverged counts as $\\infty$",
    },
    "single-hidden": {
        "dQ/dt = 0 along the field (shapes up to 12x12x12)": r"$\max|dQ/dt| / (2|C_1||A_2'| + 2|A_1||A_1'|)$ "
            "at the start (relative rate)",
        "Q drifts < 1e-9 along trajectories to the limit (A[4,2,3])": r"$\max|Q(t_{end}) - Q(0)| / "
            r"\max(|C_1 A_2|, |A_1 A_1^\top|)$ at both ends; diverged counts as $\infty$",
        "Theorem 7: trajectories stay bounded and settle (shapes up to 6x6x6, start scales 0.1-3, 0 = yes)":
            "0 when the run stays bounded and settles (status converged), 1 otherwise",
        "Theorem 8: C1 A2 A1 -> C1 S_TI S_II^{-1} (N1<N2, N1<N0, N1>N2)":
            f"integrated $C_1 A_2 A_1$ against $C_1 S_{{TI}} S_{{II}}^{{-1}}$, {_REL}",
        "Theorem 8: A2 A1 -> S_TI S_II^{-1} when C1 has full column rank":
            f"integrated $A_2 A_1$ against $S_{{TI}} S_{{II}}^{{-1}}$, {_REL}",
        "Theorem 10: A[2,2,2], S = C1 = Id: B A -> Id, A and B settle individually":
            r"max of $\max|B A - I|$ and the relative change of $(A, B)$ from $t_{end}$ to $2 t_{end}$",
    },
    "nonlinear": {
        "limit-vs-integration": "integrated end state against nonlinear_limit, relative (max entry); "
            "at the boundary limit $(0, K)$ the error of $a_2$ against K",
        "invariant-drift": r"$|K(t_{end}) - K(0)|$ for $K = a_2 - a_1^2/(2 c_1 \mu)$, relative to the "
            "largest of its terms",
        "fields-equal-per-example-means": "hand-written moment fields against the rule's per-example "
            "updates averaged over the data, relative (max entry), worst of three states",
        "jacobian-vs-finite-differences": r"$\max|J - J_{fd}| / \max|J|$ (with and without $f'$)",
        "limit-on-fixed-set": r"$|a_2 a_1^\mu - \alpha/\beta|$ relative to its terms; at $(0, K)$ the "
            "largest entry of the averaged field",
    },
    "structure": {
        "Fact 1: top-layer update identical under every rule": r"$\max_{rule} |dA_L - dA_L^{bp}| / |dA_L^{bp}|$ "
            "(max entries; exact: tolerance 0)",
        "Fact 2: -(T - O) gives -(every update), with and without f'": r"$\max |u(-\delta) + u(\delta)| / "
            r"|u(\delta)|$ over rules and layers (exact)",
        "Fact 3: T - O = 0 gives zero updates": "max |update| over rules and layers (exact: tolerance 0)",
        "Fact 4: sign-congruent feedback keeps dA1 in the gradient's orthant":
            r"$\max(0, -\min(dA_1 \circ dA_1^{bp})) / |dA_1^{bp}|^2$: 0 iff in the same orthant",
        "consistency: RBP = SRBP with one hidden layer (averaged field; one backward step, same code)":
            r"$\max|f_{rbp} - f_{srbp}| / \max|f_{rbp}|$",
        "equal widths: RBP(C_h) = SRBP(C_h ... C_{L-1}) (averaged field)":
            r"$\max|f_{rbp} - f_{srbp}| / \max|f_{rbp}|$",
        "ARBP: dC_h/dt = (dA_{h+1}/dt)^T along the field": r"$\max_h |dC_h/dt - (dA_{h+1}/dt)^\top| / "
            r"\max|dA/dt|$ at the start",
        "ARBP: C_h - A_{h+1}^T drifts < 1e-9 along trajectories (A[3,2,3,2], t <= 20)":
            r"$\max_h |D_h(t) - D_h(0)| / \max(|C_h|, |A_{h+1}|)$, $D_h = C_h - A_{h+1}^\top$",
        "backward-pass multiplications counted = sum_{h<L} N_h N_{h+1} (chained), W' (skipped)":
            "max over rules of |counted - formula| multiplications (an integer count)",
    },
    "autoencoder-general": {
        "fixed points A = M C, B = S A^T (A S A^T)^{-1}: field = 0, B A = formula":
            r"max of $\max|field| / \max|S|$ and B A against the formula (relative)",
        "trajectories reach B A = S C^T (C S C^T)^{-1} C (A[4,2,4], A[5,3,5])":
            f"integrated B A against the formula, {_REL}; unconverged counts as $\\infty$",
        "row(C) = top-p eigenspace of S: the product attains the rank-p optimum":
            r"|loss at the formula - rank-p optimum| relative to $\frac{1}{2} \mathrm{tr}\, S$",
    },
    "arbp-offset": {
        "offset-drift-along-trajectories": r"$\max_{t,h} |D_h(t) - D_h(0)| / \max(|C_h|, |A_{h+1}|, 1)$ "
            r"(max entries), $D_h = C_h - A_{h+1}^\top$",
        "zero-offset-follows-bp": f"ARBP's weights against BP's at $t_{{max}}$, {_REL}",
    },
    "bp-balance": {
        "d/dt (A_{h+1}^T A_{h+1} - A_h A_h^T) = 0 along the field (depth 2-4, any S_II)":
            r"$\max_h |dD_h/dt| / (2|A_{h+1}||A'_{h+1}| + 2|A_h||A'_h|)$ (relative rate)",
        "A_{h+1}^T A_{h+1} - A_h A_h^T drifts < 1e-9 along trajectories (A[3,2,3,2], t <= 20)":
            r"$\max_h |D_h(t_{end}) - D_h(0)| / \max(|A_h|^2, |A_{h+1}|^2)$",
    },
    "saxe": {
        "product-vs-sigmoid-along-the-path": r"$\max_t |A_2 A_1(t) - U \mathrm{diag}(u(t)) V^\top| / "
            r"\max|S_{TI}|$ (relative, max entry)",
    },
    "lillicrap": {
        "limit-vs-integration": f"integrated $A_1$, $A_2$ against $b r^\\top$, $c b^\\top$, {_REL}",
        "N1 < rank(S_TI): RBP - BP excess loss = rbp-limit's gap > 0":
            "|integrated excess-loss gap - closed-form gap| relative to RBP's excess loss; "
            r"$\infty$ if the gap is not positive",
    },
    "rbp-limit": {
        "projector form G Pi S_II^-1/2 = M (B_1 M)^+ B_1 P* (shapes <= 6, depth 2-4)":
            f"the two routes to $P(\\infty)$, {_REL}",
        "A[N0,N1,N2]: 3 starts each reach the formula and agree": _LIMIT_START,
        "depth 3-4, bottleneck first: 2 starts reach the formula": _LIMIT_START,
        "depth 3-4, bottleneck in the middle: 2 starts reach the formula": _LIMIT_START,
        "depth 3-4, bottleneck last: 2 starts reach the formula": _LIMIT_START,
        "BP from the same start reaches the best rank-r approximation (S_II metric)":
            f"BP's integrated product against the best rank-r approximation, {_REL}",
        "loss gap RBP - BP: integrated = closed form (relative to RBP's excess), >= 0":
            "|integrated gap - closed-form gap| / RBP's excess loss; $\\infty$ for a negative gap",
    },
    "srbp-bottleneck": {
        "shapes and ranks predict no fixed point": "0 when the shapes and ranks predict no fixed point, "
            "1 otherwise",
        "|dA_1/dt| >= sqrt(sum_{i>r} sigma_i(C_1 S_TI)^2) along trajectories (t <= 4)":
            r"$\max_t \max(0, b - |dA_1/dt|_F) / b$, $b$ the bound: the relative shortfall below it",
        "the reference integrator ends such runs with a clear status in 2000 steps (0 = yes)":
            "0 when the run ends with step-limit or time-limit (never converged), 1 otherwise",
    },
    "rbp-modes": {
        "aligned start: field = R diag(c e) V^T, U diag(a e) R^T (N <= 5)":
            r"$\max|f - f_{modes}|$ over the entries relative to $\max(1, \max|f|)$",
        "aligned starts stay aligned along the path (t <= 6)": r"largest off-diagonal entry of "
            r"$R^\top A_1 V$, $U^\top A_2 R$ along the path, relative to $\max s$",
        "A_1(t), A_2(t) = per-mode chain111 paths at 25 times in [0, 6]": r"$\max_t |A(t) - "
            r"A_{modes}(t)|$ (max entry) relative to $\max s$",
        "predicted weights (chain111_limit per mode) = integrated limits":
            f"predicted against integrated weights, {_REL}",
    },
    "kolen-pollack": {
        "offset-closed-form-along-trajectories": r"$\max_{t,h} |D_h(t) - e^{-\lambda t} D_h(0)| / "
            r"\max|D(0)|$ at 41 times",
        "simulate-predicted-feedback-offset": "simulate's predicted offset against its integrated "
            r"$C_h - A_{h+1}^\top$ at $t_{end}$, relative to $\max|D|$",
        "trainer-linear-vs-averaged-field": r"trainer's rate $2 g(lr/2) - g(lr)$ against the averaged "
            "field, relative to the field's largest entry",
        "trainer-offset-shrinks-by-1-minus-lr-lambda": r"$\max|D_h(n) - (1 - lr\,\lambda)^n D_h(0)| / "
            r"\max|D(0)|$ after 30 steps",
    },
    "weight-mirror": {
        "trainer-mirror-step-mean-over-probe-noise": r"max |z| over the entries, z = (mean over the "
            r"probe draws of $(C' - C)/\eta$, minus the drift $A^\top - C$) / its standard error: a "
            "z-score, in standard errors",
        "trainer-linear-vs-averaged-field": "trainer's batch-mean update against the field's "
            "dA/dt, relative to the field's largest entry",
        "feedback-variation-of-constants-along-trajectories": r"$\max_{t,h} |C_h(t) - C_h^{VoC}(t)| / "
            r"\max(|C|, |A|)$ at 10 times (variation of constants by quadrature)",
    },
    "sgd-ode": {
        "BP, with replacement: |fitted exponent - 1/2| (5 etas, 3.2e-5..3.2e-3, 3 seeds, T = 0.16, times T/2 and T)":
            r"$|k - 1/2|$, $k$ the mean fitted exponent of gap $\sim \eta^k$ (dimensionless exponent)",
        "seed-mean gap / per-run gap at eta = 3.2e-5 (at most 0.9)": "ratio of the seed-mean path's "
            r"gap to the mean per-run gap at the smallest $\eta$ (below 1: averaging helps)",
    },
    "single-hidden-lyapunov": {
        "A[3,4,2] to t = 200: dV/dt = formula, V non-increasing, P -> W*": r"max of $|dV/dt - "
            r"\mathrm{formula}|$ relative to its terms, the largest rise of V relative to |V|, and "
            r"P against $W^*$ (relative)",
    },
    "identity-exponential": {
        "|E(t)| <= |E(0)| exp(-lambda_min(M0) t/2) on [0, 40], n = 3, M0 > 0 (relative excess)":
            r"$\max_t (|E(t)| - |E(0)| e^{-\lambda_{min} t/2})_+ / |E(0)|$ (relative excess over the bound)",
    },
    "ts-integrals": {
        "monte-carlo-z": "max |closed form - Monte Carlo| / standard error over every entry of "
            "I2, J2, I3, I4 (a z-score, in standard errors)",
    },
    "ts-eps-g": {
        "monte-carlo-z": r"$|\epsilon_g - \epsilon_g^{MC}|$ / standard error (a z-score, in standard errors)",
    },
    "ts-linear-bridge": {
        "section0-vs-ts-ode": r"$\max_\tau |(Q, R, v)_{sec.\,0} - (Q, R, v)_{ts}|$ (max entry) relative "
            r"to $\max(1, |Q|, |v|)$ at 11 times",
    },
    "ts-linear-drift": {
        "field-identity": r"max entry of (left side - right side) relative to $\max(1, |dQ/dt|, "
            r"|right side|)$",
    },
    "ts-arbp-offset": {
        "ode": r"$\max_t |(b - v)(t) - (b - v)(0)| / \max(1, |v|, |b|)$ along the ODE",
        "sgd": r"$\max_t |(b - v)(t) - (b - v)(0)| / \max(1, |v|, |b|)$ along one SGD run",
    },
    "ts-ode-vs-sgd": {
        "rms-gap-scaled": r"the larger of $\max_N \sqrt{N}\,\mathrm{RMS}_N(\epsilon_g) / 1.5$ and "
            r"$\max$ over $\epsilon_g, Q, R, v$ of $1.5\,\mathrm{RMS}(2000) / \mathrm{RMS}(250)$: a ratio "
            "to the bounds, at most 1 passes",
    },
    "ts-i3-index": {
        "stated-over-swapped-gap": r"ratio of mean $\max_t |Q_{SGD} - Q_{ODE}|$ with I3 as stated to "
            "the same with indices swapped (at most 1/5 passes)",
    },
    "ts-align-then-memorise": {
        "align-before-learn": r"$\max(t_{align}/t_{half},\ 0.95\,\epsilon_g(0)/\epsilon_g(t_{align}))$: "
            "a ratio, at most 1 passes",
    },
}
