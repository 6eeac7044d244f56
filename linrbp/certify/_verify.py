"""``linrbp verify --certify``: certify what can be certified among the checks verify ran.

For the checks listed in :data:`CERTIFIABLE` the instances the check drew are drawn again (the
check's own generator, :func:`linrbp.catalogue.check_rng`), each is certified in ball
arithmetic and the certificate re-checked by the independent checker (:mod:`linrbp.checker`).
Each check's record gains ``certified`` (counts, refusals, what the certificate covers); the
other checks stay numerical (or exact, for the symbolic ones).
"""

from __future__ import annotations

from ..catalogue._catalogue import check_rng
from ..checker._checker import CertificateError, check_certificate
from ._run import certificate, require_flint

__all__ = ["CERTIFIABLE", "certify_report"]

# check -> what its certificate covers (the claim's limit and stability: section 12's certificate)
CERTIFIABLE = {
    "chain111": {
        "limit-vs-integration": "the closed-form limit (the integrated end point stays numerical)",
        "limit-on-hyperbola-and-stable": "the limit is a root of Q (e = 0 in the ball) and attracting "
                                         "(Q' = -beta (a1^2 + c1 a2) < 0)",
    },
    "chain": {
        "limit-vs-integration": "the closed-form limit (the integrated end point stays numerical)",
        "limit-is-stable-minimum": "the limit is a root of Q (e = 0 in the ball) and attracting",
        "jacobian-rank-one": "at the limit: L - 1 eigenvalues enclose 0, one negative (the finite-"
                             "difference part stays numerical)",
    },
}


def certify_report(report: dict, claims, seed: int, samples: int | None, progress=None) -> dict:
    """Add ``certified`` to the certifiable checks of ``report`` (in place) and return the summary
    {"certified_checks", "symbolic_checks", "numerical_checks", "refused", "rejected"}."""
    require_flint()
    by_id = {c.id: c for c in claims}
    summary = {"certified_checks": [], "symbolic_checks": 0, "numerical_checks": [], "refused": 0,
               "rejected": 0}
    for rec in report["claims"]:
        claim = by_id.get(rec["id"])
        todo = CERTIFIABLE.get(rec["id"], {})
        for k in rec["checks"]:
            name = k["check"]
            if name not in todo or claim is None:
                if k.get("kind") == "symbolic":
                    summary["symbolic_checks"] += 1
                else:
                    summary["numerical_checks"].append(f"{rec['id']}/{name}")
                continue
            chk = claim.check(name)
            n = chk.samples if (samples is None or chk.fixed) else samples
            rng = check_rng(seed, rec["id"], name)
            instances = [chk.sample(rng) for _ in range(n)]
            certified = checked = 0
            refused, rejected, outside = [], [], 0.0
            for i, inst in enumerate(instances):
                cert = certificate(rec["id"], inst, compare_float=True)
                if cert["status"] != "certified":
                    refused.append({"instance": i, "reason": cert.get("reason")})
                    continue
                certified += 1
                outside = max(outside, cert["float_closed_form"]["outside_balls_by"])
                try:
                    check_certificate(cert)
                    checked += 1
                except CertificateError as exc:
                    rejected.append({"instance": i, "check": exc.check, "message": str(exc)})
            k["certified"] = {"covers": todo[name], "instances": n, "certified": certified,
                              "checker_holds": checked, "refused": refused, "rejected": rejected,
                              "float_closed_form_outside_balls": outside,
                              "method": "ball arithmetic (python-flint), re-checked with exact "
                                        "rationals and Sturm/Descartes"}
            summary["certified_checks"].append(f"{rec['id']}/{name}")
            summary["refused"] += len(refused)
            summary["rejected"] += len(rejected)
            if progress is not None:
                progress(rec["id"], name, k["certified"])
    return summary
