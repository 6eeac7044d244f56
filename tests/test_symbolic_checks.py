"""The exact symbolic checks attached to claims: all hold, each can fail, they are cheap."""

import importlib

import numpy as np
import sympy as sp

from linrbp.catalogue._catalogue import CLAIMS, Check, Claim
from linrbp.claims._symbolic import SYMBOLIC_CHECKS, identity_check

EXPECTED = {"poly1d", "chain111", "chain", "wide1N1", "autoencoder", "single-hidden", "nonlinear",
            "structure", "autoencoder-general", "bp-balance", "arbp-offset"}


def test_every_claim_id_has_symbolic_checks():
    assert EXPECTED <= set(SYMBOLIC_CHECKS)


def test_all_symbolic_checks_hold():
    for cid, checks in SYMBOLIC_CHECKS.items():
        for chk in checks:
            ev = chk.run(np.random.default_rng(0))
            assert chk.kind == "symbolic" and chk.fixed and chk.tolerance == 0
            assert ev.passed and ev.max_error == 0, (cid, chk.name)


def test_identity_check_fails_on_nonzero():
    x = sp.Symbol("x")
    ev = identity_check("x = 0", lambda: x).run(np.random.default_rng(0))
    assert not ev.passed and ev.max_error == 1.0
    ev = identity_check("[0, x]", lambda: [sp.Integer(0), sp.Matrix([x])]).run(np.random.default_rng(0))
    assert not ev.passed


def test_checks_are_attached_to_registered_claims():
    import linrbp.claims as claims

    saved = dict(CLAIMS)
    try:
        placeholder = Check("placeholder", 1.0, lambda rng: 0, lambda i: 0.0)  # a claim needs a check
        CLAIMS["chain111"] = Claim("chain111", "t", "r", "s", [placeholder])
        importlib.reload(claims)
        names = [c.name for c in CLAIMS["chain111"].checks]
        assert names[:len(SYMBOLIC_CHECKS["chain111"])] == [c.name for c in SYMBOLIC_CHECKS["chain111"]]
    finally:
        CLAIMS.clear()
        CLAIMS.update(saved)
