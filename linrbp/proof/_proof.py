"""Machine-checked proofs: a :class:`Proof` is a list of steps, each checked as it is stated.

Step kinds: ``exact`` (an identity whose difference simplifies to exactly 0), ``sign`` (an
exact sign argument: sympy decides the sign from declared assumptions), ``numeric`` (a step
only checked on instances; the text says so), ``given`` (a definition or premise, shown).
A failed step is recorded (and printed as FAIL), never skipped; ``Proof.ok`` is False then.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import sympy as sp

__all__ = ["Proof", "Step", "ProofFailed"]


class ProofFailed(AssertionError):
    """Raised by :meth:`Proof.require` when a proof has a failed step.

    An :class:`AssertionError`, so a test that calls ``proof().require()`` fails with the steps
    that do not hold.

    Parameters
    ----------
    message : str
        ``"proof of <claim> failed at: <step>; <step>..."``.

    Examples
    --------
    >>> import sympy as sp
    >>> from linrbp.proof import Proof, ProofFailed
    >>> pf = Proof("demo", "a false step", "x = 0 for every x")
    >>> pf.zero("x vanishes", sp.Symbol("x"))
    False
    >>> try:
    ...     pf.require()
    ... except ProofFailed as err:
    ...     print(err)
    proof of demo failed at: x vanishes
    """


@dataclass
class Step:
    """One checked step of a :class:`Proof` (made by its step methods, not by hand).

    Parameters
    ----------
    kind : {"given", "exact", "sign", "numeric"}
        ``given``: a definition or premise, shown; ``exact``: an identity that simplifies to
        exactly 0, or an exact fact; ``sign``: sympy decides a sign from declared assumptions;
        ``numeric``: checked on instances only (its text says so).
    text : str
        What the step states.
    holds : bool
        Whether it holds.
    expr : sympy expression, optional
        What is shown (an ``Eq`` for :meth:`Proof.equal`).
    detail : str, default ""
        What was measured, or why a step fails.

    Examples
    --------
    >>> import sympy as sp
    >>> from linrbp.proof import Proof
    >>> x = sp.Symbol("x", positive=True)
    >>> pf = Proof("demo", "a sign", "x^2 + 1 > 0")
    >>> pf.sign("x^2 + 1", x ** 2 + 1, "positive")
    True
    >>> print(pf.steps[0].render())
    [ok] (sign) x^2 + 1 [positive]:  x**2 + 1
    """
    kind: str
    text: str
    holds: bool
    expr: Any = None
    detail: str = ""

    def render(self, latex: bool = False) -> str:
        """The step as one line: ``[ok]`` or ``[FAIL]``, its kind, text, expression and detail.

        Parameters
        ----------
        latex : bool, default False
            Show the expression as display LaTeX (``$$...$$``) instead of sympy's text form.

        Returns
        -------
        str
        """
        mark = "ok" if self.holds else "FAIL"
        body = self.text
        if self.expr is not None:
            body += (f": $${sp.latex(self.expr)}$$" if latex else f":  {sp.sstr(self.expr)}")
        if self.detail:
            body += f" ({self.detail})"
        return f"[{mark}] ({self.kind}) {body}"


_TAUTOLOGY = ("tautology: both sides are the same expression, so the step checks nothing; show the "
              "computation (an unevaluated Limit/Integral/Sum/Derivative/Subs) or name the computed side")


def _trivial(show) -> bool:
    """An ``Eq(X, X)`` to be shown: a statement of nothing (``==`` is sympy's structural
    equality, entrywise with the shape for matrices)."""
    return isinstance(show, sp.Equality) and show.lhs == show.rhs


def _eq(lhs, rhs):
    return sp.Eq(lhs, rhs, evaluate=False) if not isinstance(lhs, sp.MatrixBase) else None


def _zero(expr) -> bool:
    from ..symbolic import is_zero

    return is_zero(expr)


@dataclass
class Proof:
    r"""A theorem of docs/theory.md and its machine-checked steps (proofs/<id>.py build one).

    Each step method checks its step as it is stated and records it: :meth:`zero` and
    :meth:`equal` (exact identities, by sympy), :meth:`sign` (an exact sign from declared
    assumptions), :meth:`fact` (an exact fact computed by the caller), :meth:`numeric` (evidence
    on instances only, marked so), :meth:`given` (a premise, shown). A failed step is recorded and
    printed as FAIL, never skipped; ``ok`` is then False, ``failures`` lists the failed steps and
    :meth:`require` raises :class:`ProofFailed`. :meth:`render` is the proof as Markdown (or
    LaTeX), as ``linrbp prove`` prints it.

    Parameters
    ----------
    claim : str
        The claim ID it proves (``linrbp prove <claim>``).
    title : str
        The theorem's title.
    statement : str
        The theorem, in the theory page's notation.
    steps : list of Step, optional
        The steps so far (default none).
    seconds : float, default 0.0
        Time from the start to the last step (updated by every step).

    Examples
    --------
    Under RBP on A[1,1,1] the product :math:`P = a_1 a_2` moves as
    :math:`P' = (a_1^2 + c_1 a_2) E` with :math:`E = \Sigma_{TI} - P \Sigma_{II}`
    (docs/theory.md section 2):

    >>> from linrbp.proof import Proof, error_and_product, flow
    >>> from linrbp.symbolic import derive_ode
    >>> s = derive_ode([1, 1, 1], "rbp")
    >>> E, P = error_and_product(s)
    >>> (a1,), (a2,), (c1,) = s.weights[0], s.weights[1], s.feedback[0]
    >>> pf = Proof("demo", "the product's flow", "P' = (a1^2 + c1 a2) E")
    >>> pf.zero("P' = (a1^2 + c1 a2) E", flow(s, P)[0] - (a1 ** 2 + c1 * a2) * E[0])
    True
    >>> pf.ok
    True
    >>> print(pf.render())
    ## demo: the product's flow
    <BLANKLINE>
    **Theorem.** P' = (a1^2 + c1 a2) E
    <BLANKLINE>
    1. [ok] *exact*: P' = (a1^2 + c1 a2) E
    <BLANKLINE>
    Result: all steps hold (1 steps, ... s).
    <BLANKLINE>
    """

    claim: str
    title: str
    statement: str
    steps: list[Step] = field(default_factory=list)
    seconds: float = 0.0
    _start: float = field(default_factory=time.perf_counter)

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.holds for s in self.steps)

    @property
    def failures(self) -> list[Step]:
        return [s for s in self.steps if not s.holds]

    def _add(self, step: Step) -> bool:
        self.steps.append(step)
        self.seconds = time.perf_counter() - self._start
        return step.holds

    # -- step kinds -----------------------------------------------------------------
    def given(self, text: str, expr=None) -> bool:
        """A premise or definition, shown and not checked (kind ``given``).

        Parameters
        ----------
        text : str
            What it states.
        expr : sympy expression, optional
            What is shown.

        Returns
        -------
        bool
            True.
        """
        return self._add(Step("given", text, True, expr))

    def zero(self, text: str, expr, show=None) -> bool:
        """Exact: ``expr`` (scalar or matrix) simplifies to 0. A ``show`` that reads ``X = X``
        is refused (the step would state nothing)."""
        if show is not None and _trivial(show):
            return self._add(Step("exact", text, False, show, _TAUTOLOGY))
        try:
            ok = _zero(expr)
        except Exception as exc:  # a step that cannot be evaluated does not hold
            return self._add(Step("exact", text, False, show, f"{type(exc).__name__}: {exc}"))
        return self._add(Step("exact", text, ok, show if show is not None else None))

    def equal(self, text: str, lhs, rhs, name: str | None = None) -> bool:
        """Exact: lhs - rhs simplifies to 0; shows ``lhs = rhs``.

        ``lhs`` may be unevaluated (``sp.Limit``, ``sp.Integral``, ``sp.Sum``, ``sp.Derivative``,
        ``sp.Subs``): the step evaluates it (``doit``) and shows the unevaluated form, so the identity on the page says what was computed. Where ``lhs`` is a value
        computed beforehand (a reduction's leading coefficient, say), ``name`` says what it is
        (``"lc(Q)"``) and is shown in its place. A step that would show ``X = X`` (the same
        expression on both sides, with no computation shown) is a tautology, not a proof step:
        it is recorded as failed.
        """
        lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
        shown = sp.Symbol(name) if name is not None else lhs
        if name is None and lhs == rhs:
            return self._add(Step("exact", text, False, _eq(shown, rhs), _TAUTOLOGY))
        try:
            value = lhs.doit() if hasattr(lhs, "doit") else lhs
            ok = _zero(value - rhs)
        except Exception as exc:
            return self._add(Step("exact", text, False, None, f"{type(exc).__name__}: {exc}"))
        return self._add(Step("exact", text, ok, _eq(shown, rhs)))

    def sign(self, text: str, expr, sign: str) -> bool:
        """Exact sign argument: sympy decides ``expr`` is positive/negative/nonnegative/nonpositive
        from the assumptions declared on its symbols."""
        expr = sp.sympify(expr)
        attr = {"positive": "is_positive", "negative": "is_negative", "nonnegative": "is_nonnegative",
                "nonpositive": "is_nonpositive", "nonzero": "is_nonzero"}[sign]
        val = getattr(expr, attr)
        return self._add(Step("sign", f"{text} [{sign}]", val is True, expr,
                              "" if val is True else f"sympy: {attr} = {val}"))

    def fact(self, text: str, holds: bool, detail: str = "") -> bool:
        """An exact fact computed by the caller (e.g. a degree or a count), shown with its value."""
        return self._add(Step("exact", text, bool(holds), None, detail))

    def numeric(self, text: str, check: Callable[[], tuple[bool, str]]) -> bool:
        """A step checked only on instances: ``check()`` -> (holds, what was measured)."""
        try:
            ok, detail = check()
        except Exception as exc:
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        return self._add(Step("numeric", "numerical evidence only: " + text, bool(ok), None, detail))

    def require(self) -> "Proof":
        """The proof itself when every step holds, else :class:`ProofFailed` naming the failed steps.

        Returns
        -------
        Proof

        Raises
        ------
        ProofFailed
            Some step does not hold (or there is none).
        """
        if not self.ok:
            raise ProofFailed(f"proof of {self.claim} failed at: "
                              + "; ".join(s.text for s in self.failures))
        return self

    # -- output ---------------------------------------------------------------------
    def render(self, latex: bool = False) -> str:
        r"""The proof as text: the theorem, every step with ok or FAIL, and the result.

        Parameters
        ----------
        latex : bool, default False
            LaTeX (a ``\section*`` and an enumerate) instead of Markdown.

        Returns
        -------
        str
        """
        status = "all steps hold" if self.ok else f"{len(self.failures)} step(s) FAILED"
        if latex:
            out = [f"\\section*{{{_tex(self.claim)}: {_tex(self.title)}}}",
                   f"\\textbf{{Theorem.}} {_tex(self.statement)}", "", "\\begin{enumerate}"]
            for s in self.steps:
                mark = "ok" if s.holds else "\\textbf{FAIL}"
                expr = f" $\\displaystyle {sp.latex(s.expr)}$" if s.expr is not None else ""
                det = f" ({_tex(s.detail)})" if s.detail else ""
                out.append(f"  \\item[{mark}] \\emph{{{s.kind}}}: {_tex(s.text)}{expr}{det}")
            out += ["\\end{enumerate}", f"Result: {_tex(status)} ({len(self.steps)} steps, "
                    f"{self.seconds:.2f} s).", ""]
            return "\n".join(out)
        out = [f"## {self.claim}: {self.title}", "", f"**Theorem.** {self.statement}", ""]
        for i, s in enumerate(self.steps, 1):
            mark = "ok" if s.holds else "**FAIL**"
            expr = f": `{sp.sstr(s.expr)}`" if s.expr is not None else ""
            det = f" ({s.detail})" if s.detail else ""
            out.append(f"{i}. [{mark}] *{s.kind}*: {s.text}{expr}{det}")
        out += ["", f"Result: {status} ({len(self.steps)} steps, {self.seconds:.2f} s).", ""]
        return "\n".join(out)


def _tex(text: str) -> str:
    for a, b in (("\\", "\\textbackslash{}"), ("&", "\\&"), ("%", "\\%"), ("#", "\\#"),
                 ("_", "\\_"), ("^", "\\^{}"), ("$", "\\$"), ("{", "\\{"), ("}", "\\}")):
        if a == "{" or a == "}":
            continue
        text = text.replace(a, b)
    return text
