"""The independent certificate checker (standard library only; see ``linrbp/checker/_checker.py``)."""

from ._checker import CertificateError, check_certificate, check_paths, roots_in

__all__ = ["CertificateError", "check_certificate", "check_paths", "roots_in"]
