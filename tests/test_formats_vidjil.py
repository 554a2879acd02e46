"""The .vidjil format: pinned coordinates, round trips, what the web client needs, bad files."""

from __future__ import annotations

import json
import math
import os
import random

import pytest
from result_examples import SEQUENCE, pinned_result, random_result

from vidjil_kernel.exceptions import InputFormatError
from vidjil_kernel.formats.vidjil import (
    read_vidjil,
    read_vidjil_samples,
    vidjil_dict,
    write_vidjil,
)


def check_client_contract(data: dict) -> None:
    """What the Vidjil web client's loader relies on (browser/js/model_loader.js, model.js)."""
    assert data["vidjil_json_version"] >= "2016"
    number = data["samples"]["number"]
    assert isinstance(number, int) and len(data["samples"]["original_names"]) == number
    for key in ("producer", "timestamp", "commandline", "log"):
        values = data["samples"].get(key, [""] * number)
        assert len(values) == number and all(isinstance(v, str) for v in values)
    reads = data["reads"]
    assert len(reads["total"]) == len(reads["segmented"]) == number
    assert all(len(v) == number for v in reads["germline"].values())
    for clone in data["clones"]:
        assert isinstance(clone["id"], str) and isinstance(clone["top"], int)
        assert isinstance(clone["sequence"], str) and len(clone["reads"]) == number
        assert clone["germline"] in reads["germline"]  # computeOtherSize indexes it
        for key, feature in clone.get("seg", {}).items():
            if "start" in feature:
                assert 1 <= feature["start"] <= feature["stop"] + 1 <= len(clone["sequence"]) + 1
            if key in ("5", "4", "4a", "4b", "3"):
                assert isinstance(feature["name"], str) and "," not in feature["name"]
        for warning in clone.get("warn", []):
            assert set(warning) == {"code", "level", "msg"}
    for values in data.get("diversity", {}).values():
        assert len(values) == number
        assert all(v is None or isinstance(v, float) for v in values)  # toFixed(3)


def test_pinned_example_coordinates():
    data = vidjil_dict(pinned_result())
    [clone] = data["clones"]
    seg = clone["seg"]
    assert seg["5"] == {"name": "IGHV1-1*01", "start": 1, "stop": 8, "delRight": 3,
                        "alleles": ["IGHV1-1*01", "IGHV1-1*02"], "score": 40.0,
                        "evalue": 1e-10}
    assert seg["4"] == {"name": "IGHD2-2*01", "start": 11, "stop": 13, "delLeft": 1,
                        "delRight": 4}
    assert seg["3"] == {"name": "IGHJ4*02", "start": 15, "stop": 20, "delLeft": 2,
                        "score": 12.0, "evalue": 0.001}
    assert seg["junction"] == {"start": 6, "stop": 17, "aa": "KPPGVF", "productive": False,
                               "unproductive": "stop-codon", "in_frame": True,
                               "stop_codon": True}
    assert seg["cdr3"] == {"start": 9, "stop": 14, "aa": "PPGV", "productive": False,
                           "unproductive": "stop-codon", "in_frame": True, "stop_codon": True}
    assert seg["window"] == {"start": 7, "stop": 16}
    assert seg["evalue"] == {"val": 1.5e-20}
    assert seg["designation_evalue"] == {"val": 2.5e-8}
    assert seg["quality"] == {"start": 1, "stop": 20, "seq": "I" * 20}
    assert SEQUENCE[seg["window"]["start"] - 1:seg["window"]["stop"]] == clone["id"]
    assert clone["name"] == "IGHV1-1*01 3/CC/1 IGHD2-2*01 4/G/2 IGHJ4*02"
    assert clone["reads"] == [42] and clone["_average_read_length"] == [151.5]
    assert clone["germline"] == "IGH" and clone["top"] == 1
    assert clone["warn"] == [
        {"code": "W69", "level": "info", "msg": "Several genes with equal probability"},
        {"code": "", "level": "warn", "msg": "free text, no code"}]
    assert data["reads"] == {"total": [100], "segmented": [60],
                             "germline": {"IGH": [50], "TRG": [10]},
                             "not_analysed": {"too short": [30], "only V": [10]}}
    assert data["diversity"] == {
        "index_H_entropy": [1.25], "index_E_equitability": [0.5], "index_Ds_diversity": [0.75],
        "index_H_entropy_IGH": [1.0], "index_E_equitability_IGH": [0.25],
        "index_Ds_diversity_IGH": [0.5]}
    assert data["samples"]["log"] == ["first line\nsecond line"]
    assert data["warn"] == [{"code": "W20", "level": "warn",
                             "msg": "Very few V(D)J recombinations"}]
    check_client_contract(data)


def test_pinned_round_trip(tmp_path):
    path = write_vidjil(pinned_result(), tmp_path / "s.vidjil")
    assert read_vidjil(path) == pinned_result()
    check_client_contract(json.loads(path.read_text()))


@pytest.mark.parametrize("seed", range(8))
def test_random_round_trip(tmp_path, seed):
    result = random_result(random.Random(seed))
    path = write_vidjil(result, tmp_path / "r.vidjil")
    check_client_contract(json.loads(path.read_text()))
    assert read_vidjil(path) == result


def test_two_d_segments_as_4a_4b(tmp_path):
    result = pinned_result()
    designation = result.clones[0].designation
    second = designation.d[0].__class__(["TRDD3*01"], 13, 14)
    designation.d.append(second)
    designation.inserts = ["CC", "", ""]
    seg = vidjil_dict(result)["clones"][0]["seg"]
    assert seg["4"] == seg["4a"]  # the client shows "4"
    assert (seg["4a"]["name"], seg["4b"]["name"]) == ("IGHD2-2*01", "TRDD3*01")
    assert (seg["4b"]["start"], seg["4b"]["stop"]) == (14, 14)
    assert read_vidjil(write_vidjil(result, tmp_path / "dd.vidjil")) == result


def test_non_finite_numbers_become_null(tmp_path):
    result = pinned_result()
    result.clones[0].evalue = math.inf
    result.diversity["all"].equitability = math.nan
    path = write_vidjil(result, tmp_path / "n.vidjil")
    data = json.loads(path.read_text())
    assert data["clones"][0]["seg"]["evalue"] == {"val": None}
    assert data["diversity"]["index_E_equitability"] == [None]
    back = read_vidjil(path)
    assert math.isnan(back.clones[0].evalue)
    assert math.isnan(back.diversity["all"].equitability)


def test_clone_locus_without_reads_entry_is_refused():
    result = pinned_result()
    result.reads_by_locus = {"TRG": 10}
    with pytest.raises(ValueError, match="reads_by_locus"):
        vidjil_dict(result)


def test_failed_write_keeps_previous_file(tmp_path):
    path = write_vidjil(pinned_result(), tmp_path / "s.vidjil")
    before = path.read_bytes()
    broken = pinned_result()
    broken.clones.append(broken.clones[0].__class__(**{**broken.clones[0].__dict__,
                                                       "reads": object()}))
    with pytest.raises(TypeError):
        write_vidjil(broken, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["s.vidjil"]


FUSED = {
    "producer": "fuse", "timestamp": "2026-03-01 00:00:00", "vidjil_json_version": "2016b",
    "samples": {"number": 2, "original_names": ["diag.fq", "fu1.fq"],
                "commandline": ["vidjil detect diag.fq", "vidjil detect fu1.fq"],
                "log": ["a\nb", "c"], "producer": ["p1", "p2"],
                "timestamp": ["2026-01-01", "2026-02-01"]},
    "reads": {"total": [1000, 2000], "segmented": [800, 1500],
              "germline": {"TRG": [800, 1400], "IGH": [0, 100]}},
    "clones": [
        {"id": "CCCCC", "sequence": "AACCCCCTT", "reads": [700, 3], "top": 1,
         "germline": "TRG", "_average_read_length": [120.0, 118.5],
         "seg": {"5": {"name": "TRGV9*01", "start": 1, "stop": 4},
                 "3": {"name": "TRGJP*01", "start": 7, "stop": 9, "delLeft": 1},
                 "evalue": {"val": "1e-05"}}},
        {"id": "GGGGG", "sequence": "GGGGG", "reads": [0, 90], "top": 2, "germline": "IGH"},
    ],
    "diversity": {"index_H_entropy": [0.5, 1.5], "index_E_equitability": [0.1, None],
                  "index_Ds_diversity": [0.2, 0.3]},
}


def test_fused_file_gives_one_result_per_sample(tmp_path):
    path = tmp_path / "fused.vidjil"
    path.write_text(json.dumps(FUSED))
    diag, follow_up = read_vidjil_samples(path)
    assert (diag.original_name, follow_up.original_name) == ("diag.fq", "fu1.fq")
    assert (diag.total_reads, follow_up.analysed_reads) == (1000, 1500)
    assert diag.reads_by_locus == {"TRG": 800, "IGH": 0}
    assert [c.id for c in diag.clones] == ["CCCCC"]
    assert [(c.id, c.reads) for c in follow_up.clones] == [("CCCCC", 3), ("GGGGG", 90)]
    assert follow_up.clones[0].average_read_length == 118.5
    assert math.isnan(follow_up.clones[1].average_read_length)
    assert diag.clones[0].window_start == 2 and diag.clones[0].evalue == 1e-5
    designation = diag.clones[0].designation
    assert designation.name == "TRGV9*01 0/CC/1 TRGJP*01"
    assert designation.inserts == ["CC"]
    assert (diag.log, follow_up.log) == (["a", "b"], ["c"])
    assert follow_up.producer == "p2" and follow_up.timestamp == "2026-02-01"
    assert diag.diversity["all"].shannon == 0.5
    assert math.isnan(follow_up.diversity["all"].equitability)
    with pytest.raises(InputFormatError, match="holds 2 samples"):
        read_vidjil(path)


def test_scalar_diversity_of_single_sample_files(tmp_path):
    data = json.loads(json.dumps(FUSED))
    data["samples"] = {"number": 1, "original_names": ["x.fq"]}
    data["reads"] = {"total": [10], "segmented": [8], "germline": {"TRG": [8], "IGH": [0]}}
    data["clones"] = [dict(data["clones"][0], reads=[8], _average_read_length=[100.0])]
    data["diversity"] = {"index_H_entropy": 0.7, "index_E_equitability": 0.3,
                         "index_Ds_diversity": 0.2}
    path = tmp_path / "algo.vidjil"
    path.write_text(json.dumps(data))
    result = read_vidjil(path)
    assert result.diversity["all"].shannon == 0.7 and result.clones[0].reads == 8


def corrupt(tmp_path, change) -> str:
    data = json.loads(json.dumps(FUSED))
    change(data)
    path = tmp_path / "bad.vidjil"
    path.write_text(json.dumps(data, indent=1))
    return str(path)


@pytest.mark.parametrize(("change", "field", "words"), [
    (lambda d: d["clones"][1].pop("reads"), "clones[1].reads", "missing"),
    (lambda d: d["clones"][0].update(reads=[1]), "clones[0].reads", "1 values for 2 samples"),
    (lambda d: d["clones"][0].update(top="1"), "clones[0].top", "expected an integer"),
    (lambda d: d["reads"].pop("germline"), "reads.germline", "missing"),
    (lambda d: d["reads"].update(total=[-1, 2]), "reads.total[0]", "negative"),
    (lambda d: d["samples"].update(number=3), "samples.original_names", "for 3 samples"),
    (lambda d: d.update(vidjil_json_version="2014.09"), "vidjil_json_version", "too old"),
    (lambda d: d["clones"][0]["seg"]["5"].update(start=0), "clones[0].seg.5", "bad interval"),
    (lambda d: d["clones"][0]["seg"]["3"].update(delLeft="x"), "clones[0].seg.3.delLeft",
     "expected an integer"),
    (lambda d: d["clones"][0]["seg"]["evalue"].update(val="high"), "clones[0].seg.evalue.val",
     "expected a number"),
    (lambda d: d.update(clones={}), "clones", "expected a list"),
])
def test_malformed_fields_are_named(tmp_path, change, field, words):
    path = corrupt(tmp_path, change)
    with pytest.raises(InputFormatError) as error:
        read_vidjil_samples(path)
    assert error.value.field == field and error.value.path == path
    assert words in str(error.value) and f"field '{field}'" in str(error.value)


def test_not_json_names_the_line(tmp_path):
    path = tmp_path / "broken.vidjil"
    path.write_text('{\n  "producer": "x",\n  "clones": [\n}\n')
    with pytest.raises(InputFormatError, match=r"broken.vidjil, line 4: not valid JSON"):
        read_vidjil(path)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputFormatError, match="no such file"):
        read_vidjil(tmp_path / "none.vidjil")
    with pytest.raises(InputFormatError, match="is a directory"):
        read_vidjil(tmp_path)
