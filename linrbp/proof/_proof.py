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
    """Raised by :meth:`Proof.require` when a proof has a failed step."""


@dataclass
class Step:
    kind: str
    text: str
    holds: bool
    expr: Any = None
    detail: str = ""

    def render(self, latex: bool = False) -> str:
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
    """A theorem of docs/theory.md (``claim`` ID, statement in its notation) and its checked steps."""

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
        if not self.ok:
            raise ProofFailed(f"proof of {self.claim} failed at: "
                              + "; ".join(s.text for s in self.failures))
        return self

    # -- output ---------------------------------------------------------------------
    def render(self, latex: bool = False) -> str:
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
