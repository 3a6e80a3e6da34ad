"""URL rules whose builders are compiled on first use.

werkzeug compiles two URL builders (Python code generated with ``ast``) for every rule as it is added,
about 1 ms each: with 250 routes that was a third of ``create_app``, paid by every worker, CLI call and
test app, although most rules are never built with ``url_for`` in a given process. Matching is
unchanged (the regex is still compiled at once); only building waits until it is first needed.
"""

from __future__ import annotations

from werkzeug.routing import Rule


class LazyBuilderRule(Rule):
    def _compile_builder(self, append_unknown: bool = True):
        compiled = []

        def build(rule, *args, **kwargs):
            if not compiled:  # two threads may both compile it: the same code, either one serves
                compiled.append(Rule._compile_builder(rule, append_unknown))
            return compiled[0](rule, *args, **kwargs)

        return build


def url_rule_class() -> type[Rule]:
    """``LazyBuilderRule``, or werkzeug's own Rule should a werkzeug release drop ``_compile_builder``."""
    return LazyBuilderRule if hasattr(Rule, "_compile_builder") else Rule
