"""Issue 13, the first hour: the sign-in page of an empty hub, the dashboard's "what needs me today"."""

from __future__ import annotations


def test_sign_in_page_of_a_hub_without_users_says_how_to_make_the_first_admin(client, app_ctx):
    html = client.get("/login").data.decode()
    assert 'id="first-admin"' in html
    assert "hub user create --email you@example.com --role admin" in html


def test_sign_in_page_of_a_hub_with_users_has_no_first_admin_hint(client, users):
    assert b'id="first-admin"' not in client.get("/login").data
