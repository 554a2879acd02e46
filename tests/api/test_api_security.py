"""Security of every route, driven by the OpenAPI document (new routes are covered as they come).

- no token, or an invalid one: 401 on every route;
- a second user (a member of the lab, with rights of their own) gets 403 on every route
  that names one of the first user's records: their patient, its sample, results,
  analyses, configs, pre-process, upload, the group they run, their account.
"""

from __future__ import annotations

import re

import pytest
from api_harness import upload_file, write_fastq

from vidjil_kernel.db import session_scope
from vidjil_kernel.db.models import FusedResult

#: path parameters that name no record of the first user (checked separately)
NOT_A_RECORD = {"notification_id"}
METHODS = ("get", "put", "post", "patch", "delete")


def routes(api) -> list[tuple[str, str, dict]]:
    document = api.anonymous().get("/openapi.json").json()
    return [(method.upper(), path.removeprefix("/services/vidjil-api"), operation)
            for path, item in document["paths"].items()
            for method, operation in item.items() if method in METHODS]


def _example(schema: dict, document: dict):
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    kind = schema.get("type")
    if kind == "object":
        return {name: _example(schema["properties"][name], document)
                for name in schema.get("required", [])}
    if kind == "integer":
        return 1
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    hexadecimal = re.fullmatch(r"\^\[0-9a-f(?:A-F)?\]\{(\d+)\}\$", schema.get("pattern", ""))
    return "0" * int(hexadecimal.group(1)) if hexadecimal else "x"


def request_for(operation: dict, document: dict) -> dict:
    """A request a route accepts as valid (required query parameters and body fields)."""
    kwargs: dict = {"params": {p["name"]: 0 for p in operation.get("parameters", [])
                               if p["in"] == "query" and p.get("required")}}
    content = operation.get("requestBody", {}).get("content", {})
    if "application/octet-stream" in content:
        kwargs["content"] = b"@"
    elif "application/json" in content:
        kwargs["json"] = _example(content["application/json"]["schema"], document)
    return kwargs


@pytest.fixture(scope="module")
def first(api, tmp_path_factory):
    """The first user's records, by path parameter name."""
    boss = api.user("boss", admin=True)
    owner = api.user("owner")
    owner.ok("GET", "/whoami")
    boss.ok("POST", "/groups", 201, json={"name": "owner-team"})
    for right in ("read", "admin"):
        boss.ok("PUT", f"/groups/owner-team/rights/{right}")
    boss.ok("PUT", "/groups/owner-team/members/owner")
    patient = owner.ok("POST", "/sets", 201, json={"kind": "patient", "last_name": "Secret",
                                                  "birth_date": "1980-01-01"})
    path = write_fastq(tmp_path_factory.mktemp("reads") / "owner.fq.gz")
    sample = owner.ok("POST", "/samples", 201, json={
        "sets": [patient["id"]], "file": {"upload": upload_file(owner, patient["id"], path)["id"]}})
    config = owner.ok("POST", "/configs", 201, json={"name": "owner's config",
                                                    "parameters": "-g homo-sapiens"})
    preprocess = boss.ok("POST", "/preprocesses", 201, json={
        "name": "owner's merge", "command": "cp {file1} {result}", "group": "user:owner"})
    owner.ok("POST", f"/sets/{patient['id']}/analyses/{config['id']}", 201, json={
        "clones": [{"id": "clone-1", "name": "the dominant clone"}]})
    upload = owner.ok("POST", "/uploads", 201, json={"set_id": patient["id"],
                                                     "filename": "more.fq", "size": 100})
    (result,) = owner.ok("POST", f"/sets/{patient['id']}/launch", 201,
                         json={"config_id": config["id"]})
    with session_scope(api.app.state.lab.sessions) as session:  # no runner: no fuse job
        fused = FusedResult(set_id=patient["id"], config_id=config["id"])
        session.add(fused)
        session.flush()
        fused_id = fused.id
    return {"set_id": patient["id"], "sample_id": sample["id"], "config_id": config["id"],
            "preprocess_id": preprocess["id"], "upload_id": upload["id"],
            "result_id": result["id"], "job_id": result["job_id"], "fused_id": fused_id,
            "group": "owner-team",
            "user": "owner", "name": "owner", "right": "read"}


def _fill(path: str, values: dict) -> str:
    return re.sub(r"\{(\w+)\}", lambda match: str(values[match.group(1)]), path)


def test_no_valid_token_gets_401_on_every_route(api, first):
    document = api.anonymous().get("/openapi.json").json()
    checked = 0
    for method, path, operation in routes(api):
        url = _fill(path, {**first, "notification_id": 1})
        for token in (None, "not-a-token"):
            user = api.anonymous()
            user.token = token
            reply = user.request(method, url, **request_for(operation, document))
            assert reply.status_code == 401, (method, path, token, reply.text)
            checked += 1
    assert checked > 100


def test_a_second_user_gets_403_on_every_route_naming_the_first_users_records(api, first):
    document = api.anonymous().get("/openapi.json").json()
    second = api.user("second")
    second.ok("POST", "/sets", 201, json={"kind": "patient", "last_name": "Other"})
    covered = set()
    for method, path, operation in routes(api):
        names = set(re.findall(r"\{(\w+)\}", path))
        if not names or names & NOT_A_RECORD:
            continue
        unknown = names - set(first)
        assert not unknown, f"{method} {path}: give the test a record for {unknown}"
        reply = second.request(method, _fill(path, first), **request_for(operation, document))
        assert reply.status_code == 403, (method, path, reply.status_code, reply.text)
        assert "second" in reply.json()["detail"]
        covered.add(f"{method} {path}")
    assert len(covered) > 40
    # and nothing of the first user's leaks through the listings
    assert first["set_id"] not in {item["id"] for item in second.ok("GET", "/sets")["items"]}
    assert second.ok("GET", "/samples")["total"] == 0
    assert first["config_id"] not in {item["id"] for item in second.ok("GET", "/configs")}
    assert second.ok("GET", "/tags") == [] and second.ok("GET", "/uploads") == []


def test_the_first_user_still_has_everything(api, first):
    owner = api.user("owner")
    assert owner.ok("GET", f"/sets/{first['set_id']}")["last_name"] == "Secret"
    assert owner.ok("GET", f"/sets/{first['set_id']}/analyses/{first['config_id']}")[
        "data"]["clones"][0]["name"] == "the dominant clone"
    assert owner.ok("GET", f"/uploads/{first['upload_id']}")["offset"] == 0
