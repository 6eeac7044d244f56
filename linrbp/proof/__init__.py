"""The proof machinery: :class:`Proof` and its exact step checkers (sympy)."""
