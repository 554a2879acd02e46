"""End to end in a real browser: sign up, authorisation, login, the home dashboard."""

from __future__ import annotations

import json
import time

import pytest
from lab_harness import ADMIN, browser_login, browser_signup

pytestmark = [pytest.mark.hub, pytest.mark.slow]

BROKEN_NOTEBOOK = {
    "cells": [{"cell_type": "code", "execution_count": None, "id": "boom", "metadata": {},
               "outputs": [], "source": "secret_detail = 'do-not-show-me'\n1 / 0"}],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                "language": "python"}},
    "nbformat": 4, "nbformat_minor": 5,
}


def test_signup_authorise_login_and_home_dashboard(lab, browser, artifacts):
    name, password = "clinician", "a-strong-passphrase"
    user = browser.new_context(viewport={"width": 1200, "height": 800}).new_page()
    browser_signup(user, lab.url, name, password)
    user.screenshot(path=artifacts / "01-signup.png")

    admin = browser.new_context().new_page()
    browser_login(admin, lab.url, *ADMIN)
    admin.wait_for_url("**/user/**", timeout=60_000)
    admin.goto(f"{lab.url}/hub/authorize")
    admin.click(f"tr#{name} >> text=Authorize")
    admin.wait_for_selector(f"tr#{name}.success")
    admin.screenshot(path=artifacts / "02-admin-authorises.png")

    started = time.monotonic()
    browser_login(user, lab.url, name, password)
    user.wait_for_url(f"**/user/{name}/voila/render/dashboards/home.ipynb", timeout=120_000)
    welcome = user.wait_for_selector(".vidjil-welcome", timeout=60_000)
    assert f"Welcome, {name} (user)." in welcome.inner_text()
    status = user.inner_text(".vidjil-status")
    assert status.startswith("Server ") and "free of" in status
    assert not user.query_selector(".vidjil-error")
    user.screenshot(path=artifacts / "03-home-dashboard.png", full_page=True)
    assert time.monotonic() - started < 90


def test_dashboards_hide_tracebacks(lab, new_user, browser, artifacts):
    session, _, name = new_user()
    session.start_server(name)
    home = lab.data_dir / "homes" / name
    (home / "broken.ipynb").write_text(json.dumps(BROKEN_NOTEBOOK))
    context = browser.new_context()
    context.add_cookies([{"name": cookie.name, "value": cookie.value, "url": lab.url}
                         for cookie in session.session.cookies])
    page = context.new_page()
    page.goto(f"{lab.url}/user/{name}/voila/render/broken.ipynb")
    page.wait_for_selector("text=There was an error when executing cell", timeout=60_000)
    body = page.inner_text("body")
    assert "ZeroDivisionError" not in body and "do-not-show-me" not in body
    page.screenshot(path=artifacts / "04-dashboard-error-hidden.png")
    context.close()
