"""Local accounts on a running lab: sign-up, authorisation, password rules and change."""

from __future__ import annotations

import re
import time

import pytest
from lab_harness import ADMIN, HubSession

pytestmark = [pytest.mark.hub, pytest.mark.slow]


def test_signup_waits_for_an_admin(lab, admin):
    user = HubSession(lab.url)
    assert "sent to the admin" in user.signup("pending1", "a-long-passphrase")
    assert not user.login("pending1", "a-long-passphrase")
    admin.authorize("pending1")
    assert user.login("pending1", "a-long-passphrase")


@pytest.mark.parametrize("password", ["short", "password123"])
def test_weak_passwords_are_refused(lab, password):
    user = HubSession(lab.url)
    name = f"weak{len(password)}"
    message = user.signup(name, password)
    assert "password" in message.lower() and "sent to the admin" not in message
    assert not user.login(name, password)


def test_password_change(lab, new_user):
    session, _, name = new_user()
    page = session.session.get(f"{lab.url}/hub/change-password")
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text).group(1)
    reply = session.session.post(f"{lab.url}/hub/change-password", data={
        "old_password": "correct-horse-battery", "new_password": "another-long-secret",
        "new_password_confirmation": "another-long-secret", "_xsrf": xsrf})
    assert reply.ok and "successfully" in reply.text.lower()
    assert not HubSession(lab.url).login(name, "correct-horse-battery")
    assert HubSession(lab.url).login(name, "another-long-secret")


def test_account_hook_is_called_on_each_login(lab, new_user):
    _, _, name = new_user()
    expected = [f"lab account authorised: {name} (email {name}@example.org, admin False)",
                f"lab account authorised: {ADMIN[0]} (email -, admin True)"]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        log = lab.hub_log.read_text()
        if all(line in log for line in expected):
            break
        time.sleep(0.2)
    for line in expected:
        assert line in log
