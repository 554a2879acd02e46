"""Fixtures of the lab-server tests (marked ``hub``): one real lab per test session.

- ``lab``: `vidjil up` in a temporary data directory on a free loopback port, with
  the admin ``ADMIN`` created from the command line; stopped (Ctrl-C) at the end.
- ``admin``: a logged-in hub session of that admin; ``admin_token``: their API token.
- ``new_user``: makes a signed-up, authorised, logged-in user (unique name) and a token.
- ``browser``: Debian's Chromium driven by Playwright (no browser download);
  ``artifacts``: where screenshots go ($VIDJIL_TEST_ARTIFACTS, default tests/artifacts/).

Tests that need a lab of their own (restart, isolated mode, LDAP) call
``lab_harness.start_lab`` themselves.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest
from lab_harness import ADMIN, ROOT, HubSession, RunningLab, make_user, start_lab

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def artifacts() -> Path:
    path = Path(os.environ.get("VIDJIL_TEST_ARTIFACTS", ROOT / "tests" / "artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> RunningLab:
    running = start_lab(tmp_path_factory.mktemp("lab") / "data", admin=ADMIN)
    yield running
    code = running.stop()
    assert code == 0, running.diagnostics()


@pytest.fixture(scope="session")
def admin(lab: RunningLab) -> HubSession:
    session = HubSession(lab.url)
    assert session.login(*ADMIN), lab.diagnostics()
    return session


@pytest.fixture(scope="session")
def admin_token(admin: HubSession) -> str:
    return admin.new_token(ADMIN[0])


_names = itertools.count(1)


@pytest.fixture
def new_user(lab: RunningLab, admin: HubSession):
    """Call it to get (session, token, name) of a fresh authorised user."""
    def make(prefix: str = "user") -> tuple[HubSession, str, str]:
        name = f"{prefix}{next(_names)}"
        session, token = make_user(lab, admin, name)
        return session, token, name
    return make


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
