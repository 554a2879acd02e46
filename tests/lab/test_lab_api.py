"""The vidjil-api service on a running lab: OpenAPI, tokens, admin routes, OAuth, client."""

from __future__ import annotations

import json
import time

import pytest
import requests
from lab_harness import run_in_kernel

from vidjil_kernel.client import Lab
from vidjil_kernel.exceptions import ApiAuthError, ApiForbidden

pytestmark = [pytest.mark.hub, pytest.mark.slow]


def _routes(lab) -> list[tuple[str, str]]:
    document = requests.get(f"{lab.api_url}/openapi.json").json()
    return [(method.upper(), path) for path, item in document["paths"].items()
            for method in item if method in {"get", "put", "post", "patch", "delete"}]


def _call(lab, method: str, path: str, token: str | None) -> requests.Response:
    headers = {"Authorization": f"token {token}"} if token is not None else {}
    url = lab.url + path.replace("{", "").replace("}", "")
    return requests.request(method, url, headers=headers, json={}, allow_redirects=False)


def test_openapi_lists_the_phase_one_routes(lab):
    paths = {path for _, path in _routes(lab)}
    prefix = "/services/vidjil-api"
    assert {f"{prefix}/status", f"{prefix}/whoami", f"{prefix}/admin/settings"} <= paths


@pytest.mark.parametrize("token", [None, "", "not-a-real-token"])
def test_every_route_refuses_a_request_without_a_valid_token(lab, token):
    routes = _routes(lab)
    assert routes
    for method, path in routes:
        reply = _call(lab, method, path, token)
        assert reply.status_code == 401, (method, path, reply.status_code, reply.text)
        assert "token" in reply.json()["detail"]


def test_admin_routes_are_forbidden_to_users_and_open_to_admins(lab, new_user, admin_token):
    _, token, name = new_user()
    admin_routes = [(m, p) for m, p in _routes(lab) if "/admin/" in p]
    assert admin_routes
    for method, path in admin_routes:
        reply = _call(lab, method, path, token)
        assert reply.status_code == 403, (method, path, reply.text)
        assert f"{name} lacks the 'lab admin' right" in reply.json()["detail"]
        assert _call(lab, method, path, admin_token).status_code == 200


def test_client_status_whoami_and_errors(lab, new_user, admin_token):
    _, token, name = new_user()
    user = Lab(lab.url, token=token)
    assert user.whoami() == {"name": name, "admin": False, "kind": "user", "groups": [],
                             "email": f"{name}@example.org",
                             "lab_groups": ["public", f"user:{name}"]}
    status = user.status()
    assert status["version"] and status["uptime_seconds"] > 0
    assert 0 < status["disk_free_bytes"] <= status["disk_total_bytes"]
    assert status["scheduler"].startswith("tcp://127.0.0.1:") and status["workers"]
    assert Lab(lab.url, token=admin_token).whoami()["admin"] is True
    with pytest.raises(ApiAuthError, match=r"GET /whoami \(401\): invalid or expired token"):
        Lab(lab.url, token="wrong").whoami()
    settings = Lab(lab.url, token=admin_token)._request("GET", "/admin/settings")
    assert settings["data_dir"] == str(lab.data_dir.resolve())
    with pytest.raises(ApiForbidden, match=rf"GET /admin/settings \(403\): {name} lacks"):
        user._request("GET", "/admin/settings")


def test_user_server_reaches_the_api_but_holds_no_lab_secret(lab, new_user):
    session, token, name = new_user()
    session.start_server(name)
    out = run_in_kernel(lab.url, name, token, "\n".join([
        "import json, os",
        "from vidjil_kernel.client import Lab",
        "secret = [k for k in os.environ if k in ('VIDJIL_DATA_DIR', 'VIDJIL_DB_URL',",
        "          'VIDJIL_DASK_SCHEDULER', 'CONFIGPROXY_AUTH_TOKEN', 'VIDJIL_LAB_RUNTIME')]",
        "print(json.dumps({'secret': secret, 'me': Lab().whoami()}))",
    ]))
    result = json.loads(out.strip().splitlines()[-1])
    assert result["secret"] == [] and result["me"]["name"] == name
    assert result["me"]["admin"] is False


def test_browser_gets_the_api_through_hub_oauth(lab, new_user, browser):
    session, _, name = new_user()
    context = browser.new_context()
    context.add_cookies([{"name": cookie.name, "value": cookie.value, "url": lab.url}
                         for cookie in session.session.cookies])
    page = context.new_page()
    page.goto(f"{lab.api_url}/whoami")
    assert json.loads(page.inner_text("body"))["name"] == name
    assert page.url == f"{lab.api_url}/whoami"
    context.close()


def test_the_login_hook_makes_the_lab_account_before_any_request(lab, new_user, admin_token):
    _, _, name = new_user()  # signed up, authorised, logged in: no API request of theirs yet
    users = {user["name"]: user for user in Lab(lab.url, token=admin_token).users().to_dict(
        "records")}
    assert users[name]["email"] == f"{name}@example.org" and users[name]["last_login"]
    assert f"user:{name}" in users[name]["groups"]


def test_the_demo_patient_is_analysed_by_the_labs_runner(lab, new_user):
    _, token, _ = new_user()
    user = Lab(lab.url, token=token)
    deadline = time.monotonic() + 600
    while True:  # the first start simulates it in the background, then queues its analyses
        demo = user.sets("patient", search="DEMO-1")
        if len(demo) and len(user.jobs(set=demo.index[0])) >= 3:
            break
        assert time.monotonic() < deadline, user.status()
        time.sleep(2)
    patient = demo.iloc[0]
    assert patient["label"] == "Pat" and patient["first_name"] is None  # public lacks anon
    assert patient["sample_count"] == 3
    jobs = user.wait(patient["id"], timeout=600)
    assert set(jobs["state"]) == {"completed"}, jobs[["kind", "state", "error"]]
    (fused,) = user.fused(patient["id"]).index
    clones = user.clones(fused=fused, limit=20)
    assert len(clones.attrs["samples"]) == 3
    assert clones.iloc[0]["reads"][0] > clones.iloc[0]["reads"][2]  # the leukemic clone falls
