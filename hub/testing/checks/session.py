"""Session discipline: every request a hook makes goes through the ``VendorSession`` it was given.

A request sent with ``requests.get`` or a session of the plugin's own loses what the hub's session
adds (retries honouring ``Retry-After``, the rate limits, timeouts, secrets kept out of logs), and
nothing else would notice: the vendor answers it just the same.
"""

from __future__ import annotations

from hub.testing.checks.base import check
from hub.testing.checks.calls import HOOKS, call, healthy_listing
from hub.testing.harness import PluginHarness, fail


@check("requests_go_through_the_session")
def requests_go_through_the_session(h: PluginHarness) -> None:
    """Each hook's requests all pass the session it was given: the simulator receives no more requests
    than that session sent."""
    served = h.simulator()
    config = h.loaded_config(served)
    customers = healthy_listing(h, served, config)
    problems = []
    for hook in HOOKS:
        before = served.request_count
        result = call(h, hook, config, customers)
        arrived = served.request_count - before
        if arrived > result.sent:
            problems.append(f"{hook}: the simulator received {arrived} request(s), only {result.sent} of them "
                            "through the session the hook was given")
    if problems:
        fail("requests went around the hub's VendorSession, so they get no retries, rate limits, timeouts or "
             "redaction:\n  " + "\n  ".join(problems) + "\n  Send every request with the `session` argument "
             "(session.get/post/request); never requests.get() or a requests.Session of your own")
