"""Sets through the API: create (one, batch), read, search, tags, edit, share, delete."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def hemato(api):
    """A shared group ``hemato`` (read, create, upload, run, save) with ``clin`` in it."""
    boss = api.user("boss", admin=True)
    boss.ok("POST", "/groups", 201, json={"name": "hemato"})
    for right in ("read", "create", "upload", "run", "save"):
        boss.ok("PUT", f"/groups/hemato/rights/{right}")
    api.user("clin").ok("GET", "/whoami")  # the account exists once it made a request
    boss.ok("PUT", "/groups/hemato/members/clin")
    return "hemato"


def test_create_read_and_anonymise_a_patient(api, hemato):
    clin = api.user("clin")
    patient = clin.ok("POST", "/sets", 201, json={
        "kind": "patient", "group": "hemato", "first_name": "Jeanne", "last_name": "Martin",
        "birth_date": "1970-03-04", "info": "diagnosis #ALL #relapse"})
    # hemato lacks `anon`: the clinician sees the patient anonymised
    assert patient["label"] == "Mar" and patient["first_name"] is None
    assert patient["birth_date"] is None and patient["age"] >= 50
    boss = api.user("boss", admin=True)
    full = boss.ok("GET", f"/sets/{patient['id']}")
    assert full["first_name"] == "Jeanne" and full["birth_date"] == "1970-03-04"
    boss.ok("PUT", "/groups/hemato/rights/anon")
    assert clin.ok("GET", f"/sets/{patient['id']}")["last_name"] == "Martin"


def test_personal_sets_and_kinds(api):
    alice = api.user("alice")
    run = alice.ok("POST", "/sets", 201, json={"kind": "run", "name": "run-42",
                                              "run_date": "2024-05-01", "sequencer": "MiSeq"})
    assert run["kind"] == "run" and run["sequencer"] == "MiSeq"
    cohort = alice.ok("POST", "/sets", 201, json={"kind": "generic", "name": "cohort A"})
    ids = {item["id"] for item in alice.ok("GET", "/sets")["items"]}
    assert {run["id"], cohort["id"]} <= ids
    assert [s["kind"] for s in alice.ok("GET", "/sets", params={"kind": "run"})["items"]] == \
        ["run"]
    bad = alice.post("/sets", json={"kind": "generic", "name": "x", "run_date": "2024-01-01"})
    assert bad.status_code == 422 and "run_date" in bad.json()["detail"]
    assert alice.post("/sets", json={"kind": "patient"}).status_code == 422
    assert alice.post("/sets", json={"kind": "virus", "name": "x"}).status_code == 422


def test_batch_creation_is_all_or_nothing(api):
    bob = api.user("bob")
    made = bob.ok("POST", "/sets/batch", 201, json={"kind": "patient", "items": [
        {"last_name": f"Name{i}", "first_name": "P", "info": "#batch"} for i in range(20)]})
    assert len(made) == 20
    page = bob.ok("GET", "/sets", params={"tag": "batch", "limit": 5, "offset": 5})
    assert page["total"] == 20 and len(page["items"]) == 5
    before = bob.ok("GET", "/sets")["total"]
    reply = bob.post("/sets/batch", json={"kind": "patient", "items": [
        {"last_name": "Fine"}, {"first_name": "no last name"}]})
    assert reply.status_code == 422 and "last_name" in reply.json()["detail"]
    assert bob.ok("GET", "/sets")["total"] == before


def test_search_edit_share_delete(api, hemato):
    alice, clin = api.user("alice"), api.user("clin")
    mine = alice.ok("POST", "/sets", 201, json={"kind": "generic", "name": "Lymphoma study",
                                               "info": "#lymphoma"})
    found = alice.ok("GET", "/sets", params={"search": "lymphoma"})["items"]
    assert [item["id"] for item in found] == [mine["id"]]
    assert alice.ok("GET", "/tags", params={"prefix": "lym"}) == [{"name": "lymphoma",
                                                                    "uses": 1}]
    edited = alice.ok("PATCH", f"/sets/{mine['id']}", json={"info": "now #cohort"})
    assert edited["info"] == "now #cohort"
    assert clin.get(f"/sets/{mine['id']}").status_code == 403
    assert alice.ok("GET", f"/sets/{mine['id']}/groups") == ["user:alice"]
    alice.ok("PUT", f"/sets/{mine['id']}/groups/hemato")
    assert clin.ok("GET", f"/sets/{mine['id']}")["name"] == "Lymphoma study"
    reply = clin.delete(f"/sets/{mine['id']}")
    assert reply.status_code == 403 and "'admin' right" in reply.json()["detail"]
    assert alice.delete(f"/sets/{mine['id']}/groups/nosuchgroup").status_code == 404
    assert alice.delete(f"/sets/{mine['id']}").status_code == 204
    assert alice.get(f"/sets/{mine['id']}").status_code == 404
    audit = api.user("boss", admin=True).ok("GET", "/audit", params={
        "record_type": "set", "record_id": mine["id"]})
    assert [entry["action"] for entry in audit][:3] == ["delete", "share", "update"]
