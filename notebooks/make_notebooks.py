"""Write the notebooks of this folder (outputs empty) with nbformat.

    python notebooks/make_notebooks.py          # rewrite them
    python notebooks/make_notebooks.py --check  # exit 1 if a committed notebook differs

Settings are small so that each notebook runs in seconds (the test suite executes them);
raise them (n_traj, n, density, t_max) for publication figures.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP = '''\
%matplotlib inline
import numpy as np
import linrbp
from linrbp import plots
np.set_printoptions(precision=6, suppress=True)
print("linrbp", linrbp.__version__)'''

NOTEBOOKS = {
    "01_tour.ipynb": [
        ("md", """\
# A tour of linrbp

linrbp makes the theory of random backpropagation in linear networks (Baldi, Sadowski & Lu
2018, "[BSL]") executable: the learning rules, the averaged learning dynamics, integrators,
closed-form limits and the figures. Notation follows `docs/theory.md`."""),
        ("code", SETUP),
        ("md", """\
## The learning rules
Every rule updates layer h by dA_h = eta delta_h O_{h-1}^T; they differ in the backward signal
delta_h. `linrbp.RULES` is the one statement of each rule."""),
        ("code", '''\
for name, rule in linrbp.RULES.items():
    print(f"{name:6s} {rule.title:45s} channel={rule.channel:9s} source={rule.source:4s} adaptive={rule.adaptive}")'''),
        ("md", """\
## A system: A[1,1,1] under RBP
Data moments alpha = E[T I], beta = E[I^2]; weights a1 (lower), a2 (upper), feedback c1.
The averaged field is a1' = c1 e, a2' = a1 e with e = alpha - beta a1 a2."""),
        ("code", '''\
alpha, beta, c1 = 1.0, 1.0, 0.5
stats = linrbp.DataStats.from_matrices([[beta]], [[alpha]])
system = linrbp.LinearSystem.create([1, 1, 1], "rbp", stats, [[[c1]]])
y0 = np.array([0.4, -0.3])
e = alpha - beta * y0[0] * y0[1]
print("field:", system(y0), " by hand:", np.array([c1 * e, y0[0] * e]))'''),
        ("md", """\
## Integrating
`integrate` is scipy's DOP853 with events (converged / diverged / time-limit);
`integrate_batch` integrates many starts at once with a step size per trajectory.
Along every trajectory a2 - a1^2/(2 c1) is conserved."""),
        ("code", '''\
res = linrbp.integrate(system, y0, 1e3, dense=True)
K = res.ys[:, 1] - res.ys[:, 0] ** 2 / (2 * c1)
print(res.status[0], "at t =", res.t_end[0], " limit:", res.y[0], " P =", res.y[0].prod())
print("drift of the invariant:", np.ptp(K))

rng = np.random.default_rng(0)
starts = rng.uniform(-2, 2, size=(200, 2))
batch = linrbp.integrate_batch(system, starts, 1e3)
print(batch.counts())
print("max |a1 a2 - alpha/beta| over converged starts:",
      np.max(np.abs(batch.y[:, 0] * batch.y[:, 1] - alpha / beta)[batch.status == "converged"]))'''),
        ("md", """\
## Stability from the linearisation
At a fixed point (on the hyperbola a1 a2 = alpha/beta) the Jacobian has eigenvalues 0 and
-beta (a1^2 + c1 a2): the fixed point attracts iff a1^2 + c1 a2 > 0."""),
        ("code", '''\
for a1 in (-2.0, -0.5, 0.5, 2.0):
    a2 = alpha / (beta * a1)
    ev = np.linalg.eigvals(plots.jacobian(system, [a1, a2]))
    print(f"a1 = {a1:5.2f}: eigenvalues {np.sort(ev.real)}, theory {-beta * (a1**2 + c1 * a2):.6f}")'''),
        ("md", """\
## Figures
Every figure is a function returning a matplotlib Figure; `linrbp figures --out DIR` writes
them all (`--only NAMES`, `--format png|pdf|svg`, `--seed S`)."""),
        ("code", '''\
print(", ".join(plots.FIGURES))
fig = plots.bp_rbp_portraits(alpha, beta, c1, n_traj=3, seed=0, t_max=100.0, density=0.7)
fig'''),
    ],
    "02_chain.ipynb": [
        ("md", """\
# The chain A[1,...,1] and its phase portraits

[BSL] Theorems 1-4: one-dimensional polynomial flows, the A[1,1,1] chain under RBP, deeper chains
and A[1,N,1]. Closed-form limits are compared with integration in every picture."""),
        ("code", SETUP),
        ("md", """\
## Phase portraits of A[1,1,1]
Streamlines, the fixed-point hyperbola a1 a2 = alpha/beta coloured by the linearisation, the
critical parabola a1^2 + c1 a2 = 0, integrated trajectories and their closed-form limits."""),
        ("code", '''\
fig = plots.chain111_portrait(1.0, 1.0, c1s=(1.0, -1.0), n_traj=3, seed=0, t_max=100.0, density=0.6)
fig'''),
        ("md", """\
## Closed form against integration, one start
The limit a1(inf) is the root of the depressed cubic a1^3 + 2 c1 K a1 - 2 c1 alpha/beta that the
one-dimensional flow picks (K = a2 - a1^2/(2 c1))."""),
        ("code", '''\
alpha, beta, c1 = 1.0, 1.0, 1.0
system = plots.chain111_system(alpha, beta, c1)
chain111_limit = plots.closed_form("chain111_limit")  # linrbp.chain111_limit
for start in ([0.5, 0.5], [-2.0, -2.5], [-0.5, -2.0]):
    res = linrbp.integrate(system, np.array(start), 1e3)
    pred = chain111_limit(alpha, beta, c1, *start)
    print(start, "integrated", res.y[0], "closed form", np.asarray(pred, float))'''),
        ("md", """\
## Basin map
Which branch of the hyperbola each start reaches, by closed form and by `integrate_batch`."""),
        ("code-quiet", '''\
basins = plots.chain111_basins(1.0, 1.0, 1.0, lim=3.0, n=15, t_max=500.0)
print("disagreements:", basins.disagreements, "of", basins.size, "; not converged:", basins.n_unconverged)
plots.basin_map(data=basins)'''),
        ("md", "## One-dimensional polynomial flows (Theorem 1), with the exact blow-up time"),
        ("code", "plots.poly1d_flow()"),
        ("md", "## Deeper chains and the wide network A[1,N,1]"),
        ("code", "plots.chain_depths(depths=(2, 3, 4), seed=0, t_max=100.0)"),
        ("code", "plots.wide_trajectories(N=3, seed=0, t_max=100.0)"),
        ("md", """\
## A non-linear hidden unit
With f' the fixed points a2 a1^mu = alpha/beta attract; without it there are none."""),
        ("code", "plots.nonlinear_portraits(mu=2.0, n_traj=3, seed=0, t_max=10.0, density=0.6)"),
    ],
    "03_matrix.ipynb": [
        ("md", """\
# Matrix systems: the autoencoder, one hidden layer, adaptive RBP

[BSL] Lemma 1 and Theorems 6-10, and the ARBP conservation law."""),
        ("code", SETUP),
        ("md", """\
## Autoencoder A[N,1,N] with whitened data
A -> lambda C with lambda the positive root of (|C|^2/2) lambda^3 + K lambda - 1 = 0,
K = C B - |A|^2/2, and B A -> C^T C/|C|^2."""),
        ("code", '''\
rng = np.random.default_rng(1)
N = 4
C = rng.normal(size=(1, N)); A0 = 0.3 * rng.normal(size=(1, N)); B0 = 0.3 * rng.normal(size=(N, 1))
system = linrbp.LinearSystem.create([N, 1, N], "rbp", linrbp.DataStats.whitened(N), [C])
res = linrbp.integrate(system, system.pack([A0, B0]), 1e4)
(A, B), _ = system.unpack(res.y[0])
autoencoder_limit = plots.closed_form("autoencoder_limit")  # linrbp.autoencoder_limit
A_inf, B_inf, lam = autoencoder_limit(C, A0, B0)
print(res.status[0], "lambda =", lam)
print("|A - A_inf| =", np.abs(A - A_inf).max(), " |B - B_inf| =", np.abs(B - B_inf).max())'''),
        ("code", "plots.autoencoder_convergence(N=4, seed=0, t_max=200.0)"),
        ("md", """\
## One hidden layer A[N0,N1,N2]
C1 A2 A1 -> C1 S_TI S_II^-1 (Theorem 8); the matrix C1 A2 + (C1 A2)^T - A1 A1^T is conserved
(its drift stays at rounding level). With `probe="sweep"` (the default) the figure adds a small
`linrbp probe` sweep of the open question (do A1 and A2 converge individually?); left out here
to keep the notebook quick."""),
        ("code", "plots.single_hidden_convergence((3, 4, 2), seed=0, t_max=200.0, probe=None)"),
        ("md", """\
## Adaptive RBP
C_h - A_{h+1}^T is conserved, so feedback that starts small ends close to A_{h+1}^T."""),
        ("code", "plots.arbp_symmetry(layers=(3, 4, 2), seed=0, t_max=100.0)"),
    ],
    "04_trainer.ipynb": [
        ("md", """\
# The non-linear trainer

`linrbp.trainer` trains multi-layer perceptrons with every learning-channel variant of
EXPERIMENTS.md, through the same rule statements as the linear theory. Here: a small seeded
teacher task (no download), a few epochs per rule, test accuracy and the angle between each
rule's first-layer update and backpropagation's. Raise `epochs`, `hidden` and `limit_train`
(or use `linrbp train --dataset fashion-mnist`) for real runs."""),
        ("code", SETUP + """
from matplotlib.figure import Figure
from linrbp import trainer"""),
        ("code", """\
rules = ("bp", "rbp", "srbp", "top-only")
results = {}
for rule in rules:
    config = trainer.TrainConfig(rule=rule, dataset="teacher", hidden=(30, 30), epochs=6,
                                 batch_size=50, lr=0.05, limit_train=1000, limit_test=500,
                                 seed=0, align_examples=200)
    results[rule] = trainer.train(config, progress=False)
    r = results[rule]
    print(f"{rule:9s} {r['status']:9s} test accuracy {r['test_accuracy']:.3f}")"""),
        ("code", """\
fig = Figure(figsize=(11, 4), layout="constrained")
ax1, ax2 = fig.subplots(1, 2)
for k, (rule, r) in enumerate(results.items()):
    epochs = [h["epoch"] for h in r["history"]]
    ax1.plot(epochs, [h["test_accuracy"] for h in r["history"]], marker="o", color=f"C{k}", label=rule)
    if rule in ("rbp", "srbp"):
        angles = [h["alignment"]["update_vs_bp"]["A_1"] for h in r["history"]]
        ax2.plot(epochs, angles, marker="o", color=f"C{k}", label=rule)
ax1.set(xlabel="epoch", ylabel="test accuracy", title="teacher task, hidden (30, 30), seed 0")
ax2.set(xlabel="epoch", ylabel="angle to BP's update of $A_1$ (degrees)",
        title="first-layer update against BP's")
ax1.legend(); ax2.legend()
fig"""),
    ],
}


# Closed forms a notebook needs (its test is skipped, naming them, while a build lacks them).
NEEDS = {
    "02_chain.ipynb": ("chain111_limit", "poly1d_limit", "chain_limit", "wide_limit",
                       "nonlinear_field", "nonlinear_limit", "nonlinear_moments"),
    "03_matrix.ipynb": ("autoencoder_limit", "autoencoder_product"),
}
# Modules a notebook needs (likewise).
NEEDS_MODULES = {"04_trainer.ipynb": ("linrbp.trainer",)}


def build(cells) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, (kind, src) in enumerate(cells):
        cell = new_markdown_cell(src) if kind == "md" else new_code_cell(src)
        if kind == "code-quiet":  # its progress line on stderr is not shown in the docs
            cell.metadata["tags"] = ["remove-stderr"]
        cell["id"] = f"cell-{i:02d}"  # stable ids: regenerating gives the same file
        nb.cells.append(cell)
    return nb


def render(cells) -> str:
    return nbformat.writes(build(cells))


def main(argv) -> int:
    check = "--check" in argv
    stale = []
    for name, cells in NOTEBOOKS.items():
        path = HERE / name
        text = render(cells)
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print("wrote", path)
    if stale:
        print("out of date:", ", ".join(stale), "(run python notebooks/make_notebooks.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
