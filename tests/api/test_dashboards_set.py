"""The Set dashboard's logic against the real API (real HTTP on loopback, real database):
upload through the FileUpload widget (with a cut connection), file source, launch, cancel,
re-run, links.  Jobs do not run here (no runner): their states are the API's."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import socket
import threading
import time

import pytest
from api_harness import LoopbackServer, start_api, write_fastq

from vidjil_kernel.client import Lab
from vidjil_kernel.dashboards.set_view import ALL, UPLOAD_CHUNK, SetDashboard, build


class CuttingProxy:
    """A TCP relay to the API that hangs up the first connection after ``cut_after`` bytes
    sent by the client: a network cut between the kernel and the API."""

    def __init__(self, target_port: int, cut_after: int) -> None:
        self.target_port, self.cut_after = target_port, cut_after
        self.cuts = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            limit = self.cut_after if self.cuts == 0 else None
            threading.Thread(target=self._pump, args=(client, upstream, limit),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, None),
                             daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, limit: int | None) -> None:
        sent = 0
        try:
            while data := source.recv(65536):
                if limit is not None and sent + len(data) > limit:
                    self.cuts += 1
                    break
                sink.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for end in (source, sink):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            end.close()

    def close(self) -> None:
        self.listener.close()


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    """Uploads are staged in the home of the kernel's user."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("set-dashboard")
    (root / "source" / "run-7").mkdir(parents=True)
    write_fastq(root / "source" / "run-7" / "mounted.fastq.gz", reads=40, seed=3)
    app, tokens, _ = start_api(root / "data", file_source=str(root / "source"),
                               disk_min_free_gb=0.001)
    with LoopbackServer(app) as server:
        yield server, tokens


def _lab(served, name: str, port: int | None = None) -> Lab:
    server, tokens = served
    return Lab(api_url=f"http://127.0.0.1:{port or server.port}/services/vidjil-api",
               token=tokens.add(name))


def _chosen(path) -> tuple[dict, ...]:
    """What the browser sends to a FileUpload widget."""
    content = path.read_bytes()
    return ({"name": path.name, "type": "application/gzip", "size": len(content),
             "content": memoryview(content),
             "last_modified": dt.datetime.now(dt.UTC)},)


def _random_fastq(path, size: int):
    """Reads whose gzip does not shrink (the upload must span several chunks)."""
    import random

    rng = random.Random(5)
    lines, total, index = [], 0, 0
    while total < size:
        sequence = "".join(rng.choice("ACGT") for _ in range(150))
        lines += [f"@r{index}", sequence, "+", "".join(rng.choice("#?I5") for _ in range(150))]
        total += 320
        index += 1
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0))
    return path


@pytest.mark.slow
def test_upload_with_metadata_survives_a_network_cut(served, tmp_path, private_home):
    server, _ = served
    owner = _lab(served, "ada")
    patient = owner.create_set("patient", last_name="Martin", info="#mrd")
    proxy = CuttingProxy(server.port, cut_after=1_200_000)
    try:
        board = SetDashboard(_lab(served, "ada", port=proxy.port), patient["id"])
        assert "No samples yet" in board.table.value
        assert f'href="results.ipynb?set_id={patient["id"]}"' in board.header.value
        reads = _random_fastq(tmp_path / "diagnosis.fastq.gz", 6_000_000)
        board.file.value = _chosen(reads)
        board.sample_name.value = "diagnosis"
        board.sampling_date.value = "01/02/2024"
        board.info.value = "bone marrow #diagnosis"
        board.add_uploaded()
        board.close()
    finally:
        proxy.close()
    assert proxy.cuts == 1 and reads.stat().st_size > UPLOAD_CHUNK
    assert "Added sample diagnosis" in board.notice.value, board.notice.value
    assert board.bar.value == 1.0 and "MB" in board.bar.description
    (sample,) = owner.samples(patient).to_dict("records")
    assert sample["original_name"] == "diagnosis" and sample["sampling_date"] == "2024-02-01"
    assert sample["sha256"] == hashlib.sha256(reads.read_bytes()).hexdigest()
    assert "diagnosis" in board.table.value and "not analysed" in board.table.value
    assert board.file.value == () and board.sampling_date.value == ""
    assert not list((private_home / ".cache" / "vidjil-uploads").rglob("*.gz"))


def test_bad_metadata_or_no_file_is_explained_and_nothing_is_added(served, tmp_path,
                                                                  private_home):
    lab = _lab(served, "bob")
    patient = lab.create_set("patient", last_name="Bad")
    board = SetDashboard(lab, patient["id"])
    board.add_uploaded()
    assert "choose a sequence file first" in board.notice.value
    board.file.value = _chosen(write_fastq(tmp_path / "x.fastq.gz"))
    board.sampling_date.value = "yesterday"
    board.add_uploaded()
    assert "sampling date: &#x27;yesterday&#x27; is not a date" in board.notice.value
    board.sampling_date.value = ""
    not_reads = tmp_path / "not-reads.fastq"
    not_reads.write_text("hello\n")
    board.file.value = _chosen(not_reads)
    board.add_uploaded()
    assert "vidjil-error" in board.notice.value and "not-reads.fastq" in board.notice.value
    assert lab.samples(patient).empty
    staged = list((private_home / ".cache" / "vidjil-uploads").rglob("*.fastq"))
    assert [path.name for path in staged] == ["not-reads.fastq"]  # kept to resume
    assert oct(staged[0].parent.stat().st_mode & 0o777) == "0o700"
    board.close()


def test_file_source_launch_cancel_and_rerun(served):
    lab = _lab(served, "carol")
    patient = lab.create_set("patient", last_name="Source")
    board = SetDashboard(lab, patient["id"])
    assert ("run-7/", ("folder", "run-7")) in board.source.options
    board.source.value = ("folder", "run-7")
    assert ("mounted.fastq.gz", ("file", "run-7/mounted.fastq.gz")) in board.source.options
    board.source.value = ("file", "run-7/mounted.fastq.gz")
    board.add_from_source()
    assert "from the file source" in board.notice.value, board.notice.value
    assert board.config.label == "multi-locus"
    assert board.target.value == ALL and len(board.target.options) == 2

    board.rerun()
    assert "no finished analysis" in board.notice.value
    board.launch()
    assert "Launched 1 analysis" in board.notice.value, board.notice.value
    assert board.active() and ("vidjil-state-queued" in board.table.value
                               or "vidjil-state-pending" in board.table.value)
    assert "<progress" in board.table.value
    board.target.value = board.target.options[1][1]
    board.cancel()
    assert "Cancelled 1" in board.notice.value and "vidjil-state-cancelled" in board.table.value
    board.rerun()
    assert "Re-running 1" in board.notice.value, board.notice.value
    assert "vidjil-state-cancelled" not in board.table.value
    board.close()


def test_the_table_refreshes_by_itself_while_jobs_are_active(served, monkeypatch):
    monkeypatch.setattr("vidjil_kernel.dashboards.set_view.REFRESH_SECONDS", 0.2)
    lab = _lab(served, "dave")
    patient = lab.create_set("patient", last_name="Auto")
    lab.add_sample(patient, source="run-7/mounted.fastq.gz")
    board = SetDashboard(lab, patient["id"])
    board.launch()
    (job,) = board.jobs.values()
    lab.cancel(job["id"])
    deadline = time.monotonic() + 10
    while "vidjil-state-cancelled" not in board.table.value:
        assert time.monotonic() < deadline, board.table.value
        time.sleep(0.1)
    board.close()


def test_a_bad_address_or_someone_elses_set_shows_a_sentence(served):
    owner, other = _lab(served, "erin"), _lab(served, "frank")
    patient = owner.create_set("patient", last_name="Private")
    assert "needs ?set_id=N" in build(other, query="").value
    page = build(other, query=f"set_id={patient['id']}").value
    assert "vidjil-error" in page and "Traceback" not in page
