"""Samples through the API: uploads (chunked, resumable, sha256), the file source, R1/R2,
checks of the reads, sets they belong to, downloads, and files removed with samples."""

from __future__ import annotations

import hashlib
import os

import pytest
from api_harness import upload_file, write_fastq


@pytest.fixture(scope="module")
def patient(api) -> int:
    return api.user("ann").ok("POST", "/sets", 201, json={"kind": "patient",
                                                          "last_name": "Durand"})["id"]


def test_upload_then_sample(api, patient, tmp_path):
    ann = api.user("ann")
    fastq = write_fastq(tmp_path / "diag R1.fastq.gz", 300)
    upload = upload_file(ann, patient, fastq, chunk=1000)
    assert upload["complete"] and upload["offset"] == fastq.stat().st_size
    assert upload["sha256"] == hashlib.sha256(fastq.read_bytes()).hexdigest()
    sample = ann.ok("POST", "/samples", 201, json={
        "sets": [patient], "file": {"upload": upload["id"]}, "sampling_date": "2024-02-03",
        "info": "diagnosis #bm"})
    assert sample["original_name"] == "diag R1.fastq.gz" and sample["size"] == upload["size"]
    assert sample["sha256"] == upload["sha256"] and not sample["from_file_source"]
    assert sample["stored_path"].startswith("samples/")  # relative: the lab may move
    stored = api.data_dir / sample["stored_path"]
    assert stored.read_bytes() == fastq.read_bytes()
    assert ann.get(f"/uploads/{upload['id']}").status_code == 404  # used up
    download = ann.get(f"/samples/{sample['id']}/file")
    assert download.status_code == 200 and download.content == fastq.read_bytes()
    assert [s["id"] for s in ann.ok("GET", f"/sets/{patient}/samples")["items"]] == [sample["id"]]
    edited = ann.ok("PATCH", f"/samples/{sample['id']}", json={"info": "#relapse",
                                                               "pcr": "BIOMED-2"})
    assert edited["pcr"] == "BIOMED-2"
    assert ann.ok("GET", "/samples", params={"tag": "relapse"})["total"] == 1


def test_chunks_must_follow_the_committed_offset(api, patient):
    ann = api.user("ann")
    data = b"@r1\nACGT\n+\nIIII\n" * 100
    upload = ann.ok("POST", "/uploads", 201, json={"set_id": patient, "filename": "a.fq",
                                                   "size": len(data)})
    ann.ok("PUT", f"/uploads/{upload['id']}", params={"offset": 0}, content=data[:500])
    reply = ann.put(f"/uploads/{upload['id']}", params={"offset": 0}, content=data[:500])
    assert reply.status_code == 409 and "offset 500, not 0" in reply.json()["detail"]
    assert ann.ok("GET", f"/uploads/{upload['id']}")["offset"] == 500
    early = ann.post(f"/uploads/{upload['id']}/finish",
                     json={"sha256": hashlib.sha256(data).hexdigest()})
    assert early.status_code == 409 and "send the rest from offset 500" in early.json()["detail"]
    too_much = ann.put(f"/uploads/{upload['id']}", params={"offset": 500},
                       content=data[500:] + b"extra")
    assert too_much.status_code == 422 and "declared size" in too_much.json()["detail"]
    assert ann.ok("GET", f"/uploads/{upload['id']}")["offset"] == 500
    ann.ok("PUT", f"/uploads/{upload['id']}", params={"offset": 500}, content=data[500:])
    wrong = ann.post(f"/uploads/{upload['id']}/finish", json={"sha256": "0" * 64})
    assert wrong.status_code == 422 and "upload it again" in wrong.json()["detail"]
    assert ann.get(f"/uploads/{upload['id']}").status_code == 404


def test_uploads_are_their_starters_and_need_the_upload_right(api, patient, tmp_path):
    ann, other = api.user("ann"), api.user("other")
    upload = ann.ok("POST", "/uploads", 201, json={"set_id": patient, "filename": "x.fq",
                                                   "size": 10})
    assert [item["id"] for item in ann.ok("GET", "/uploads")] == [upload["id"]]
    assert other.ok("GET", "/uploads") == []
    for method, path, kwargs in [("GET", "", {}), ("PUT", "", {"params": {"offset": 0},
                                                                "content": b"x"}),
                                 ("POST", "/finish", {"json": {"sha256": "0" * 64}}),
                                 ("DELETE", "", {})]:
        reply = other.request(method, f"/uploads/{upload['id']}{path}", **kwargs)
        assert reply.status_code == 403, (method, path, reply.text)
    assert other.post("/uploads", json={"set_id": patient, "filename": "x.fq",
                                        "size": 10}).status_code == 403
    assert ann.delete(f"/uploads/{upload['id']}").status_code == 204
    assert not (api.data_dir / "uploads" / upload["id"]).exists()


def test_disk_guard_refuses_what_would_fill_the_disk(api, patient):
    free = os.statvfs(api.data_dir).f_bavail * os.statvfs(api.data_dir).f_frsize
    reply = api.user("ann").post("/uploads", json={"set_id": patient, "filename": "huge.fq",
                                                   "size": free})
    assert reply.status_code == 507 and "upload of huge.fq refused" in reply.json()["detail"]


def test_a_file_that_is_not_reads_is_refused(api, patient, tmp_path):
    ann = api.user("ann")
    bad = tmp_path / "report.fastq"
    bad.write_bytes(b"@r1\nACGT\n+\nIII\n")
    upload = upload_file(ann, patient, bad)
    reply = ann.post("/samples", json={"sets": [patient], "file": {"upload": upload["id"]}})
    assert reply.status_code == 422
    assert reply.json()["detail"].startswith("report.fastq, line 4, record 1")
    assert ann.ok("GET", f"/uploads/{upload['id']}")["complete"]  # kept: nothing was made


def test_pairs_and_the_file_source(api, patient):
    ann = api.user("ann")
    source = api.data_dir.parent / "source"
    (source / "run7").mkdir()
    write_fastq(source / "run7" / "s1_R1.fastq.gz", mate=1)
    write_fastq(source / "run7" / "s1_R2.fastq.gz", mate=2)
    write_fastq(source / "run7" / "other_R2.fastq.gz", mate=2, seed=1)
    (source / "run7" / "notes.txt").write_text("not a sequence file")
    (source / ".hidden.fq").write_text("@r\nA\n+\nI\n")
    assert [entry["name"] for entry in ann.ok("GET", "/files")] == ["run7"]
    listed = ann.ok("GET", "/files", params={"path": "run7"})
    assert [entry["path"] for entry in listed] == ["run7/other_R2.fastq.gz",
                                                   "run7/s1_R1.fastq.gz", "run7/s1_R2.fastq.gz"]
    for outside in ("..", "run7/../../data", "/etc"):
        assert ann.get("/files", params={"path": outside}).status_code in (404, 422)
    sample = ann.ok("POST", "/samples", 201, json={
        "sets": [patient], "file": {"source": "run7/s1_R1.fastq.gz"},
        "file_r2": {"source": "run7/s1_R2.fastq.gz"}})
    assert sample["from_file_source"] and sample["original_name_r2"] == "s1_R2.fastq.gz"
    assert sample["stored_path"] == str(source / "run7" / "s1_R1.fastq.gz")
    mismatch = ann.post("/samples", json={
        "sets": [patient], "file": {"source": "run7/s1_R1.fastq.gz"},
        "file_r2": {"source": "run7/other_R2.fastq.gz"}})
    assert mismatch.status_code == 422 and "not the R1/R2 pair" in mismatch.json()["detail"]
    for path in ("run7/notes.txt", "../data/vidjil.sqlite"):
        assert ann.post("/samples", json={"sets": [patient], "file": {"source": path}}
                        ).status_code == 422
    # removing a file-source sample never deletes the source's file
    assert ann.delete(f"/samples/{sample['id']}/sets/{patient}").status_code == 204
    assert (source / "run7" / "s1_R1.fastq.gz").is_file()


def test_sample_in_two_sets_and_its_file_goes_with_the_last(api, patient, tmp_path):
    ann = api.user("ann")
    run = ann.ok("POST", "/sets", 201, json={"kind": "run", "name": "run-1"})["id"]
    upload = upload_file(ann, patient, write_fastq(tmp_path / "t2.fq"))
    sample = ann.ok("POST", "/samples", 201, json={"sets": [patient],
                                                   "file": {"upload": upload["id"]}})
    linked = ann.ok("PUT", f"/samples/{sample['id']}/sets/{run}")
    assert {ref["id"] for ref in linked["sets"]} == {patient, run}
    stored = api.data_dir / sample["stored_path"]
    assert ann.delete(f"/samples/{sample['id']}/sets/{patient}").status_code == 204
    assert stored.is_file()
    assert ann.delete(f"/sets/{run}").status_code == 204
    assert not stored.exists()
    assert ann.get(f"/samples/{sample['id']}").status_code == 404


def test_no_file_source_configured(tmp_path):
    from api_harness import ApiLab, start_api
    from fastapi.testclient import TestClient

    app, tokens, config = start_api(tmp_path / "data")
    with TestClient(app) as client:
        lab = ApiLab(app, tokens, client, config)
        reply = lab.user("zoe").get("/files")
        assert reply.status_code == 404 and "file_source" in reply.json()["detail"]
