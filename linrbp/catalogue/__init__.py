"""The claim catalogue's machinery: :class:`Claim`, :class:`Check`, :class:`Evidence`,
:func:`register` and :func:`run_claim`. The claims themselves live in :mod:`linrbp.claims`.
"""
