"""URL rules that are cheaper to add: builders compiled on first use, parsed rule strings remembered.

werkzeug compiles two URL builders (Python code generated with ``ast``) for every rule as it is added,
about 1 ms each: with 250 routes that was a third of ``create_app``, paid by every worker, CLI call and
test app, although most rules are never built with ``url_for`` in a given process. Matching is
unchanged (the regex is still compiled at once); only building waits until it is first needed.

Parsing a rule string into its parts (regexes and weights) was then most of what was left, and the same
strings are parsed again by every app the process creates (each test builds one). The parts depend only
on the string and the map's converter classes, so they are parsed once per process; each rule still gets
converters of its own, bound to its own map.
"""

from __future__ import annotations

import copy
import threading

from werkzeug.routing import Rule

# (rule string, converter classes by name) -> (parts, trace entries, converters by variable)
_PARSED: dict[tuple, tuple[list, list, dict]] = {}
_PARSED_LOCK = threading.Lock()


class LazyBuilderRule(Rule):
    def _compile_builder(self, append_unknown: bool = True):
        compiled = []

        def build(rule, *args, **kwargs):
            if not compiled:  # two threads may both compile it: the same code, either one serves
                compiled.append(Rule._compile_builder(rule, append_unknown))
            return compiled[0](rule, *args, **kwargs)

        return build

    def _parse_rule(self, rule: str):
        key = (rule, tuple(sorted(self.map.converters.items(), key=lambda item: item[0])))
        parsed = _PARSED.get(key)
        if parsed is None:
            trace_from, known = len(self._trace), set(self._converters)
            parts = list(Rule._parse_rule(self, rule))  # records this rule's trace and converters
            with _PARSED_LOCK:
                _PARSED[key] = (parts, self._trace[trace_from:],
                                {name: c for name, c in self._converters.items() if name not in known})
            return parts
        parts, trace, converters = parsed
        self._trace.extend(trace)
        for name, converter in converters.items():
            own = copy.copy(converter)
            own.map = self.map
            self._converters[name] = own
            self.arguments.add(name)
        return list(parts)


def url_rule_class() -> type[Rule]:
    """``LazyBuilderRule``, or werkzeug's own Rule should a werkzeug release drop the methods it overrides."""
    return LazyBuilderRule if hasattr(Rule, "_compile_builder") and hasattr(Rule, "_parse_rule") else Rule
