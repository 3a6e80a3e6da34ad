"""The registry of named checks. A check is a function of a ``PluginHarness`` that returns when the
plugin conforms and raises ``ConformanceFailure`` (an AssertionError) saying what to fix."""

from __future__ import annotations

from typing import Callable

from hub.testing.harness import PluginHarness

Check = Callable[[PluginHarness], None]

#: check name -> function, in the order the suite runs them
CHECKS: dict[str, Check] = {}


def check(name: str) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        if name in CHECKS:
            raise ValueError(f"two checks named {name!r}")
        fn.check_name = name  # type: ignore[attr-defined]
        CHECKS[name] = fn
        return fn

    return register
