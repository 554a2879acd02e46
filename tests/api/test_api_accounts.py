"""Lab accounts of hub users: made on the first request or by the hub's login hook."""

from __future__ import annotations

from api_harness import SYNC_TOKEN


def test_first_request_makes_the_account_and_its_personal_group(api):
    alice = api.user("alice")
    me = alice.ok("GET", "/whoami")
    assert me == {"name": "alice", "admin": False, "kind": "user", "groups": [],
                  "email": None, "lab_groups": ["public", "user:alice"]}
    groups = {group["name"]: group for group in alice.ok("GET", "/groups")}
    assert groups["user:alice"]["members"] == ["alice"]
    assert "create" in groups["user:alice"]["rights"]
    assert alice.ok("GET", "/whoami") == me  # once only


def test_hub_login_hook_sets_email_and_last_login(api):
    hook = api.client.post("/services/vidjil-api/internal/accounts",
                           headers={"Authorization": f"token {SYNC_TOKEN}"},
                           json={"name": "bruno", "email": "bruno@lab.org", "admin": False})
    assert hook.status_code == 200, hook.text
    assert hook.json()["email"] == "bruno@lab.org" and hook.json()["last_login"]
    assert api.user("bruno").ok("GET", "/whoami")["email"] == "bruno@lab.org"


def test_only_the_hub_may_call_the_hook(api):
    for header in ({}, {"Authorization": "token wrong"},
                   {"Authorization": f"token {api.user('carol').token}"}):
        reply = api.client.post("/services/vidjil-api/internal/accounts", headers=header,
                                json={"name": "mallory", "admin": True})
        assert reply.status_code == 401
    boss = api.user("boss", admin=True)
    assert "mallory" not in {user["name"] for user in boss.ok("GET", "/users")}


def test_hub_admins_are_lab_admins_and_the_lab_decides_for_others(api):
    boss = api.user("boss", admin=True)
    assert boss.ok("GET", "/whoami")["admin"] is True
    dora = api.user("dora")
    assert dora.get("/users").status_code == 403
    assert boss.ok("PATCH", "/users/dora", json={"admin": True})["is_admin"] is True
    assert dora.ok("GET", "/whoami")["admin"] is True
    assert len(dora.ok("GET", "/users")) >= 2
    reply = boss.patch("/users/boss", json={"admin": False})
    assert reply.status_code == 409 and "own admin flag" in reply.json()["detail"]


def test_a_disabled_account_may_do_nothing(api):
    boss = api.user("boss", admin=True)
    eve = api.user("eve")
    eve.ok("GET", "/sets")
    assert boss.ok("PATCH", "/users/eve", json={"active": False})["active"] is False
    reply = eve.get("/sets")
    assert reply.status_code == 403 and "disabled" in reply.json()["detail"]
    boss.ok("PATCH", "/users/eve", json={"active": True})
    eve.ok("GET", "/sets")


def test_no_token_or_a_bad_one_is_401(api):
    assert api.anonymous().get("/whoami").status_code == 401
    reply = api.client.get("/services/vidjil-api/whoami", headers={"Authorization": "token x"})
    assert reply.status_code == 401 and "invalid or expired" in reply.json()["detail"]


class _HubUser:
    admin = True


class _LoginHandler:
    """What the hook asks of the hub's login handler: the hub's user record."""

    def find_user(self, name):
        return _HubUser() if name == "chief" else None


def test_the_hubs_login_hook_reaches_the_api_over_http(tmp_path):
    import asyncio

    from api_harness import ApiLab, LoopbackServer, start_api

    from vidjil_kernel.server.accounts import AccountHook

    app, tokens, config = start_api(tmp_path / "data")
    with LoopbackServer(app) as server:
        url = f"{server.url}/services/vidjil-api/internal/accounts"
        ldap_login = {"name": "ann", "admin": None,
                      "auth_state": {"user_attributes": {"mail": ["ann@lab.org"]}}}
        hook = AccountHook(url, SYNC_TOKEN)
        assert asyncio.run(hook(object(), _LoginHandler(), ldap_login)) is ldap_login
        asyncio.run(hook(object(), _LoginHandler(), {"name": "chief", "admin": None}))
        # a wrong secret, or the API down, never refuses the login
        asyncio.run(AccountHook(url, "wrong")(object(), _LoginHandler(), {"name": "x",
                                                                          "admin": False}))
        asyncio.run(AccountHook("http://127.0.0.1:9/", SYNC_TOKEN, timeout=1)(
            object(), _LoginHandler(), {"name": "y", "admin": False}))
        import httpx

        with httpx.Client(base_url=server.url) as client:
            lab = ApiLab(app, tokens, client, config)
            users = {user["name"]: user for user in lab.user("chief").ok("GET", "/users")}
    assert users["ann"]["email"] == "ann@lab.org" and not users["ann"]["is_admin"]
    assert users["chief"]["is_admin"] and users["chief"]["last_login"]
    assert "x" not in users and "y" not in users
