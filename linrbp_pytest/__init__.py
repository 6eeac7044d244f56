"""pytest plugin (the ``linrbp_pytest`` entry point of ``pytest11``): claims as tests.

``pytest --linrbp-claims FILE.py`` collects one test per check of each claim the file
registers (the same files as ``linrbp verify --claims``), with IDs ``claim-id::check-name``;
``--linrbp-catalogue`` adds the catalogue's claims. A failing test's message gives the worst
error next to the tolerance, the number of instances, the seed and the worst instance.
``--linrbp-seed`` and ``--linrbp-samples`` are those of ``linrbp verify``. Without these options
the plugin does nothing and imports nothing of linrbp (it lives in this separate top-level
package for that reason), so it costs other test runs nothing.
"""

from __future__ import annotations

import json

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("linrbp", "linrbp claims as tests")
    group.addoption("--linrbp-claims", action="append", default=[], metavar="FILE",
                    help="collect one test per check of the claims this file (or module) registers "
                         "(repeatable)")
    group.addoption("--linrbp-catalogue", action="store_true", default=False,
                    help="also collect the checks of linrbp's own claim catalogue")
    group.addoption("--linrbp-seed", type=int, default=0, metavar="SEED",
                    help="seed of the claims' random draws (default 0, as linrbp verify)")
    group.addoption("--linrbp-samples", type=int, default=None, metavar="N",
                    help="instances per numeric check (default: each check's own)")


class ClaimCheckFailed(Exception):
    pass


class ClaimCheckItem(pytest.Item):
    """One check of one claim, run exactly as ``linrbp verify`` runs it."""

    def __init__(self, *, claim, check, source, seed, samples, **kwargs):
        super().__init__(**kwargs)
        self.claim, self.check, self.source = claim, check, source
        self.seed, self.samples = seed, samples
        self.user_properties.append(("claim", claim.id))

    def runtest(self):
        from linrbp.catalogue._catalogue import check_rng

        ev = self.check.run(check_rng(self.seed, self.claim.id, self.check.name), self.samples)
        self.user_properties.append(("max_error", ev.max_error))
        self.user_properties.append(("tolerance", ev.tolerance))
        if not ev.passed:
            try:
                worst = json.dumps(ev.worst_instance, default=str)
            except (TypeError, ValueError):
                worst = repr(ev.worst_instance)
            if len(worst) > 400:
                worst = worst[:400] + "..."
            raise ClaimCheckFailed(
                f"{self.claim.id}::{self.check.name}: worst error {ev.max_error:.3g} > tolerance "
                f"{ev.tolerance:.1e} over {ev.instances} instances (seed {self.seed}); "
                + (f"{ev.message}; " if ev.message else "")
                + f"worst instance {worst}")

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ClaimCheckFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.source, None, f"{self.claim.id}::{self.check.name}"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session, config, items):
    files = config.getoption("linrbp_claims") or []
    catalogue = config.getoption("linrbp_catalogue")
    if not files and not catalogue:
        return
    from linrbp.claims import get_claims
    from linrbp.claims._user import load_claim_file
    from linrbp.core._errors import InputError

    samples = config.getoption("linrbp_samples")
    if samples is not None and samples < 1:
        raise pytest.UsageError(f"--linrbp-samples: must be at least 1, got {samples}")
    user, sources = [], {}
    try:
        for spec in files:
            for c in load_claim_file(spec, sources):
                sources[c.id] = spec
                user.append(c)
    except InputError as exc:
        raise pytest.UsageError(f"linrbp: {exc}") from None
    claims = (get_claims(None) if catalogue else []) + user
    seed = config.getoption("linrbp_seed")
    for claim in claims:
        for check in claim.checks:
            items.append(ClaimCheckItem.from_parent(
                session, name=f"{claim.id}::{check.name}", nodeid=f"{claim.id}::{check.name}",
                claim=claim, check=check,
                source=sources.get(claim.id, "linrbp catalogue"), seed=seed, samples=samples))
