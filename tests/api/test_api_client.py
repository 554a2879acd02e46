"""``vidjil_kernel.client.Lab`` against the real API on a loopback port (real HTTP)."""

from __future__ import annotations

import hashlib
import http.client
import os
import time

import pandas as pd
import pytest
from api_harness import LoopbackServer, start_api, write_fastq

from vidjil_kernel.client import Lab
from vidjil_kernel.exceptions import ApiForbidden, ApiNotFound


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("client")
    (root / "source").mkdir()
    app, tokens, config = start_api(root / "data", file_source=str(root / "source"),
                                    disk_min_free_gb=0.001)
    with LoopbackServer(app) as server:
        yield server, tokens, root


def _lab(served, name: str, admin: bool = False) -> Lab:
    server, tokens, _ = served
    return Lab(api_url=f"{server.url}/services/vidjil-api", token=tokens.add(name, admin=admin))


def test_tables_are_dataframes(served, tmp_path):
    lab = _lab(served, "ada")
    assert lab.whoami()["lab_groups"] == ["public", "user:ada"]
    patient = lab.create_set("patient", last_name="Martin", first_name="Ada",
                             birth_date="1970-03-04", info="#study")
    rows = pd.DataFrame({"last_name": ["A", "B", "C"], "birth_date": ["1980-01-01", None,
                                                                      "1990-05-05"]})
    made = lab.create_sets("patient", rows)
    assert list(made["last_name"]) == ["A", "B", "C"] and made.index.name == "id"
    sets = lab.sets("patient")
    assert len(sets) == 4 and patient["id"] in sets.index
    assert list(lab.sets(tag="study")["id"]) == [patient["id"]]
    sample = lab.add_sample(patient, write_fastq(tmp_path / "diag.fastq.gz"),
                            sampling_date="2024-01-02", info="#diagnosis")
    samples = lab.samples(patient)
    assert list(samples["original_name"]) == ["diag.fastq.gz"]
    assert samples.loc[sample["id"], "sampling_date"] == "2024-01-02"
    assert set(lab.tags()["name"]) == {"study", "diagnosis"}
    config = lab.create_config("mine", "-g homo-sapiens:IGH")
    assert config["id"] in lab.configs().index
    assert "user:ada" in lab.groups()["name"].tolist()
    path = lab.download_sample_file(sample, tmp_path / "back.fastq.gz")
    assert path.read_bytes() == (tmp_path / "diag.fastq.gz").read_bytes()
    assert lab.jobs().empty and lab.uploads().empty
    with pytest.raises(ApiForbidden, match="lab admin"):
        lab.users()
    with pytest.raises(ApiNotFound, match="no set 999999"):
        lab.set(999999)


def _cut_upload(server_url: str, token: str, upload_id: str, data: bytes, sent: int) -> None:
    """Send a chunk's headers for all of ``data`` but only ``sent`` bytes, then hang up."""
    host, port = server_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port))
    connection.putrequest("PUT", f"/services/vidjil-api/uploads/{upload_id}?offset=0")
    connection.putheader("Authorization", f"token {token}")
    connection.putheader("Content-Type", "application/octet-stream")
    connection.putheader("Content-Length", str(len(data)))
    connection.endheaders()
    connection.send(data[:sent])
    connection.sock.close()


def test_an_upload_cut_in_the_middle_resumes_where_it_stopped(served, tmp_path):
    server, tokens, _ = served
    token = tokens.add("cut")
    lab = Lab(api_url=f"{server.url}/services/vidjil-api", token=token)
    patient = lab.create_set("patient", last_name="Cut")
    data = os.urandom(6 << 20)
    path = tmp_path / "big.fastq"
    path.write_bytes(data)
    upload = lab._request("POST", "/uploads", json={"set_id": patient["id"],
                                                    "filename": "big.fastq", "size": len(data)})
    _cut_upload(server.url, token, upload["id"], data, 3 << 20)
    for _ in range(200):  # the server receives, notices the cut, commits what arrived
        status = lab._request("GET", f"/uploads/{upload['id']}")
        if status["offset"] and not status["receiving"]:
            break
        time.sleep(0.05)
    assert status["offset"] == 3 << 20 and not status["complete"]
    finished = lab.upload(path, patient, chunk_size=1 << 20)
    assert finished["id"] == upload["id"] and finished["complete"]
    assert finished["sha256"] == hashlib.sha256(data).hexdigest()
    stored = served[2] / "data" / "uploads" / upload["id"] / "data"
    assert stored.read_bytes() == data


def test_resume_after_the_api_restarts(tmp_path):
    data = os.urandom(3 << 20)
    path = tmp_path / "r1.fastq"
    path.write_bytes(data)
    app, tokens, config = start_api(tmp_path / "data", disk_min_free_gb=0.001)
    token = tokens.add("restart")
    with LoopbackServer(app) as server:
        lab = Lab(api_url=f"{server.url}/services/vidjil-api", token=token)
        patient = lab.create_set("patient", last_name="Restart")
        upload = lab._request("POST", "/uploads", json={
            "set_id": patient["id"], "filename": "r1.fastq", "size": len(data)})
        lab._request("PUT", f"/uploads/{upload['id']}", params={"offset": 0},
                     data=data[:1 << 20], headers={"Content-Type": "application/octet-stream"})
    app, again, _ = start_api(tmp_path / "data", disk_min_free_gb=0.001)
    again.models[token] = tokens.models[token]
    with LoopbackServer(app) as server:
        lab = Lab(api_url=f"{server.url}/services/vidjil-api", token=token)
        finished = lab.upload(path, patient)
    assert finished["id"] == upload["id"]
    assert finished["sha256"] == hashlib.sha256(data).hexdigest()
