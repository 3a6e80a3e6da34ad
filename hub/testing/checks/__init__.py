"""Every named conformance check, in the order the suite runs them (see ``CHECKS``)."""

from hub.testing.checks.base import CHECKS, check
from hub.testing.checks import loading, listing, errors, session, fuzz, hub_sync  # noqa: F401,E402  (each module registers its checks)

__all__ = ["CHECKS", "check"]
