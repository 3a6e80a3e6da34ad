"""The browser fixture never skips silently where the browser is required (CI)."""

import pytest

from tests.web.browser.conftest import browser_or_stop


@pytest.fixture
def no_chromium(monkeypatch, tmp_path):
    monkeypatch.setenv("HUB_CHROMIUM", str(tmp_path / "no-such-chromium"))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("HUB_REQUIRE_BROWSER", raising=False)


@pytest.mark.parametrize("env", [{"HUB_REQUIRE_BROWSER": "1"}, {"CI": "true"}])
def test_missing_browser_fails_when_required(no_chromium, monkeypatch, env):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(pytest.fail.Exception, match="Chromium is missing"):
        browser_or_stop()


def test_missing_browser_skips_with_the_reason_elsewhere(no_chromium):
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        browser_or_stop()


def test_a_present_browser_is_used(no_chromium, monkeypatch, tmp_path):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\n")
    monkeypatch.setenv("HUB_CHROMIUM", str(fake))
    monkeypatch.setenv("HUB_REQUIRE_BROWSER", "1")
    assert browser_or_stop() == str(fake)
