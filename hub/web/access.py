"""Who may do what: every view declares the roles that may read it and the roles that may change through it.

The declaration is data on the view function; one ``before_request`` gate (``check_access``) enforces
it for every endpoint, the public API's (``/api/v1``, where the role is the bearer token's) included, so a view that forgot to declare anything is refused (deny by default) instead
of being open. Reading means GET/HEAD/OPTIONS; every other method is a change.

Usage (billing pages do the same)::

    @bp.get("/recurring")
    @roles(read=ANYONE)
    def recurring_list(): ...

    @bp.route("/recurring/new", methods=["GET", "POST"])
    @roles(read=BILLING, change=BILLING)
    def recurring_create(): ...

Put ``@roles`` *below* the route decorator, so the function Flask registers carries the rule.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Iterable

from flask import abort, current_app, request
from flask_login import current_user

from hub.models import Role

log = logging.getLogger("hub.web")

ANYONE = frozenset({Role.ADMIN.value, Role.BILLING.value, Role.VIEWER.value})
BILLING = frozenset({Role.ADMIN.value, Role.BILLING.value})
ADMIN = frozenset({Role.ADMIN.value})
NOBODY: frozenset[str] = frozenset()

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class AccessRule:
    read: frozenset[str]
    change: frozenset[str]

    def allows(self, role: str | None, method: str) -> bool:
        return role in (self.read if method in SAFE_METHODS else self.change)


def roles(*, read: Iterable[str] = ANYONE, change: Iterable[str] = NOBODY) -> Callable:
    """Declare who may read (GET) and who may change (POST...) through this view. Admin is always included."""
    rule = AccessRule(frozenset(read) | ADMIN, frozenset(change) | (ADMIN if change else NOBODY))

    def decorate(view: Callable) -> Callable:
        view.hub_access = rule
        return view

    return decorate


def public(view: Callable) -> Callable:
    """No sign-in needed (the login page, the health check)."""
    view.hub_public = True
    return view


def rule_for(endpoint: str) -> AccessRule | None:
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "hub_access", None)


def is_public(endpoint: str) -> bool:
    if endpoint == "static" or endpoint.endswith(".static"):
        return True
    return bool(getattr(current_app.view_functions.get(endpoint), "hub_public", False))


def check_access():
    """The gate, run before every request."""
    endpoint = request.endpoint
    if endpoint is None or is_public(endpoint):
        return None  # unknown URLs fall through to 404/405
    from hub.api.auth import authenticated_role, is_api_request

    if is_api_request():
        role = authenticated_role()  # a bearer token's role; the public API ignores the session
    elif current_user.is_authenticated:
        role = current_user.role
    else:
        return current_app.login_manager.unauthorized()
    rule = rule_for(endpoint)
    if rule is None:
        log.error("endpoint %s declares no roles; refused", endpoint)
        abort(403)
    if not rule.allows(role, request.method):
        abort(403, "your role may not do this" if is_api_request() else None)
    return None


def can(endpoint: str, method: str = "POST") -> bool:
    """For templates: may the current user use ``endpoint`` with ``method``? (hides buttons, not a guard)."""
    if not current_user.is_authenticated:
        return False
    rule = rule_for(endpoint)
    return rule is not None and rule.allows(current_user.role, method)
