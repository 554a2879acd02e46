"""The ``.vidjil`` JSON format (version "2016b"), as the Vidjil web client loads it.

What the client needs (read from its loaders, ``browser/js/model_loader.js``,
``model.js``, ``clone.js``): ``vidjil_json_version``, ``samples.number`` and
``original_names``, ``reads.total``/``segmented``/``germline`` with one value
per sample and a ``reads.germline`` entry for the ``germline`` of every clone,
and clones with ``id``, ``top`` (the client keeps clones whose ``top`` is at
most its display limit, 100 by default), ``reads`` (one value per sample),
``germline`` and ``sequence``.  Positions in ``seg`` are 1-based, both ends
included.

Layout written (one sample)::

    producer, timestamp, vidjil_json_version: "2016b"
    samples: number: 1, original_names, producer, timestamp, run_timestamp,
             commandline, log (the log lines joined by newlines), preset
    reads:   total, segmented, germline: {locus: [n]},
             not_analysed: {reason: [n]}   <- extra key: reads not analysed, by reason
    clones:  id (the window), name, sequence, reads, top, germline,
             _average_read_length, warn: [{code, level, msg}],
             seg: 5 / 4 / 3: {name, start, stop,
                  delLeft, delRight, and alleles (all equal-best), score, evalue
                  when known}; with several D, "4" is the first one and "4a",
                  "4b"... all of them; junction and cdr3: {start, stop, aa, productive,
                  unproductive, in_frame, stop_codon}; evalue: {val};
                  designation_evalue: {val}; window: {start, stop};
                  quality: {start, stop, seq}; designation_locus: {info}
                  (only when it differs from the clone's germline)
    diversity: index_H_entropy, index_E_equitability, index_Ds_diversity: [value]
               for the whole sample (``SampleResult.diversity["all"]``), and the
               same keys suffixed ``_<locus>`` for each locus
    warn:    sample warnings, [{code, level, msg}]

Numbers that are not finite (NaN, infinity) are written as null (JSON has no
NaN) and read back as NaN.

Multi-sample (fused) files hold one value per sample in every per-sample
array (``vidjil_samples_dict`` builds them); ``read_vidjil_samples`` returns
one ``SampleResult`` per sample, each with the clones seen in that sample
(reads > 0), so the jobs layer can fuse and split freely.  ``read_vidjil`` reads
single-sample files.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import replace
from pathlib import Path

from vidjil_kernel.exceptions import InputFormatError
from vidjil_kernel.fileio import atomic_write
from vidjil_kernel.formats.coordinates import from_closed, to_closed
from vidjil_kernel.formats.warning_codes import warning_from_json, warning_to_json
from vidjil_kernel.results import (
    Clone,
    Designation,
    Diversity,
    Junction,
    SampleResult,
    SegmentCall,
)

FORMAT_VERSION = "2016b"
#: ``SampleResult.diversity`` key of the indices over all loci together
WHOLE_SAMPLE = "all"
DIVERSITY_KEYS = {"shannon": "index_H_entropy", "equitability": "index_E_equitability",
                  "simpson": "index_Ds_diversity"}
NOT_ANALYSED = "not_analysed"
#: several D segments, in order ("4" then repeats the first one)
D_KEY = re.compile(r"4[a-z]")


def write_vidjil(result: SampleResult, path: str | os.PathLike) -> Path:
    """Write ``result`` as a ``.vidjil`` file (atomically); returns the path."""
    text = json.dumps(vidjil_dict(result), allow_nan=False, separators=(",", ":"))
    with atomic_write(path) as handle:  # compact JSON: the C encoder, 10x faster than indented
        handle.write(text)
        handle.write("\n")
    return Path(path)


def vidjil_dict(result: SampleResult) -> dict:
    """The JSON object of a one-sample ``.vidjil`` file."""
    missing = {clone.locus for clone in result.clones} - set(result.reads_by_locus)
    if missing:
        raise ValueError(f"clones of loci {sorted(missing)} have no reads_by_locus entry: "
                         "the Vidjil client needs one for every clone's germline")
    data: dict = {
        "producer": result.producer,
        "timestamp": result.timestamp,
        "vidjil_json_version": FORMAT_VERSION,
        "samples": {
            "number": 1,
            "original_names": [result.original_name],
            "producer": [result.producer],
            "timestamp": [result.timestamp],
            "run_timestamp": [result.timestamp],
            "commandline": [result.commandline],
            "log": ["\n".join(result.log)],
            "preset": [result.preset],
        },
        "reads": {
            "total": [result.total_reads],
            "segmented": [result.analysed_reads],
            "germline": {locus: [count] for locus, count in result.reads_by_locus.items()},
            NOT_ANALYSED: {reason: [count] for reason, count in result.reasons.items()},
        },
        "clones": [_clone_dict(clone) for clone in result.clones],
    }
    if result.diversity:
        data["diversity"] = {
            _diversity_key(index_key, locus): [_number(getattr(indices, field))]
            for locus, indices in result.diversity.items()
            for field, index_key in DIVERSITY_KEYS.items()}
    if result.warnings:
        data["warn"] = [warning_to_json(text) for text in result.warnings]
    return data


def vidjil_samples_dict(samples: list[SampleResult], clones: list[Clone]) -> dict:
    """The JSON object of a multi-sample ``.vidjil`` file (a fused set).

    ``clones`` give each clone's fields (sequence, designation, ``top``); its read
    count and average read length in each sample come from that sample's clone of
    the same id (0 and null where the sample does not have it).  Every per-sample
    array holds one value per sample, in the order of ``samples``.
    """
    number = len(samples)
    loci = list(dict.fromkeys(locus for sample in samples for locus in sample.reads_by_locus))
    loci += [locus for locus in dict.fromkeys(clone.locus for clone in clones)
             if locus not in loci]
    reasons = list(dict.fromkeys(reason for sample in samples for reason in sample.reasons))
    by_id = [{clone.id: clone for clone in sample.clones} for sample in samples]
    data: dict = {
        "producer": samples[0].producer if samples else "",
        "timestamp": max((sample.timestamp for sample in samples), default=""),
        "vidjil_json_version": FORMAT_VERSION,
        "samples": {
            "number": number,
            "original_names": [sample.original_name for sample in samples],
            "producer": [sample.producer for sample in samples],
            "timestamp": [sample.timestamp for sample in samples],
            "run_timestamp": [sample.timestamp for sample in samples],
            "commandline": [sample.commandline for sample in samples],
            "log": ["\n".join(sample.log) for sample in samples],
            "preset": [sample.preset for sample in samples],
        },
        "reads": {
            "total": [sample.total_reads for sample in samples],
            "segmented": [sample.analysed_reads for sample in samples],
            "germline": {locus: [sample.reads_by_locus.get(locus, 0) for sample in samples]
                         for locus in loci},
            NOT_ANALYSED: {reason: [sample.reasons.get(reason, 0) for sample in samples]
                           for reason in reasons},
        },
        "clones": [],
    }
    for clone in clones:
        item = _clone_dict(clone)
        present = [index.get(clone.id) for index in by_id]
        item["reads"] = [found.reads if found else 0 for found in present]
        item["_average_read_length"] = [_number(found.average_read_length) if found else None
                                        for found in present]
        data["clones"].append(item)
    indices = list(dict.fromkeys(locus for sample in samples for locus in sample.diversity))
    if indices:
        data["diversity"] = {
            _diversity_key(index_key, locus): [
                _number(getattr(sample.diversity[locus], field))
                if locus in sample.diversity else None for sample in samples]
            for locus in indices for field, index_key in DIVERSITY_KEYS.items()}
    warnings = list(dict.fromkeys(text for sample in samples for text in sample.warnings))
    if warnings:
        data["warn"] = [warning_to_json(text) for text in warnings]
    return data


def _clone_dict(clone: Clone) -> dict:
    seg: dict = {"evalue": {"val": _number(clone.evalue)}}
    if clone.window_start >= 0:
        first, last = to_closed(clone.window_start, clone.window_start + len(clone.id))
        seg["window"] = {"start": first, "stop": last}
    if clone.quality is not None:
        seg["quality"] = {"start": 1, "stop": len(clone.quality), "seq": clone.quality}
    if clone.designation is not None:
        seg.update(_designation_seg(clone.designation, clone.locus))
    data: dict = {"id": clone.id}
    if clone.name:
        data["name"] = clone.name
    data.update({
        "sequence": clone.sequence,
        "reads": [clone.reads],
        "top": clone.top,
        "germline": clone.locus,
        "_average_read_length": [_number(clone.average_read_length)],
        "seg": seg,
    })
    if clone.warnings:
        data["warn"] = [warning_to_json(text) for text in clone.warnings]
    return data


def _designation_seg(designation: Designation, clone_locus: str) -> dict:
    seg: dict = {}
    if designation.v is not None:
        seg["5"] = _segment_dict(designation.v)
    if designation.d:
        # The client shows the D of "4" (getGene("4")); several D are also all
        # given as "4a", "4b"... (its convertSeg keeps those only next to a "4").
        seg["4"] = _segment_dict(designation.d[0])
    if len(designation.d) > 1:
        for i, segment in enumerate(designation.d):
            seg[f"4{chr(ord('a') + i)}"] = _segment_dict(segment)
    if designation.j is not None:
        seg["3"] = _segment_dict(designation.j)
    junction = designation.junction
    if junction is not None:
        seg["junction"] = _junction_dict(junction, junction.start, junction.end, junction.aa)
        seg["cdr3"] = _junction_dict(junction, junction.cdr3_start, junction.cdr3_end,
                                     junction.cdr3_aa)
    if designation.evalue is not None:
        seg["designation_evalue"] = {"val": _number(designation.evalue)}
    if designation.locus != clone_locus:
        seg["designation_locus"] = {"info": designation.locus}
    return seg


def _segment_dict(segment: SegmentCall) -> dict:
    first, last = to_closed(segment.start, segment.end)
    data: dict = {"name": segment.name, "start": first, "stop": last}
    if segment.del_left is not None:
        data["delLeft"] = segment.del_left
    if segment.del_right is not None:
        data["delRight"] = segment.del_right
    if len(segment.alleles) > 1:
        data["alleles"] = list(segment.alleles)
    if segment.score is not None:
        data["score"] = _number(segment.score)
    if segment.evalue is not None:
        data["evalue"] = _number(segment.evalue)
    return data


def _junction_dict(junction: Junction, start: int, end: int, aa: str) -> dict:
    first, last = to_closed(start, end)
    data: dict = {"start": first, "stop": last, "aa": aa, "productive": junction.productive}
    if junction.unproductive is not None:
        data["unproductive"] = junction.unproductive
    if junction.in_frame is not None:
        data["in_frame"] = junction.in_frame
    if junction.stop_codon is not None:
        data["stop_codon"] = junction.stop_codon
    return data


def _diversity_key(index_key: str, locus: str) -> str:
    return index_key if locus == WHOLE_SAMPLE else f"{index_key}_{locus}"


def _number(value: float) -> float | None:
    return value if math.isfinite(value) else None


#: fields of a .vidjil that differ between two runs of the same analysis
RUN_FIELDS = ("timestamp", "run_timestamp", "commandline")


def run_independent(path: str | os.PathLike) -> dict:
    """A .vidjil file's content without the fields of its run (when, by which command).

    Two runs of the same analysis (in one piece or in chunks, in a job or not)
    must give equal contents.
    """
    data = json.loads(Path(path).read_text())
    data.pop("timestamp", None)
    for key in RUN_FIELDS:
        data["samples"].pop(key, None)
    return data


def read_vidjil(path: str | os.PathLike) -> SampleResult:
    """Read a one-sample ``.vidjil`` file (see ``read_vidjil_samples`` for fused files)."""
    samples = read_vidjil_samples(path)
    if len(samples) != 1:
        raise InputFormatError(str(path), f"holds {len(samples)} samples; read it with "
                               "read_vidjil_samples", field="samples.number")
    return samples[0]


def read_vidjil_samples(path: str | os.PathLike) -> list[SampleResult]:
    """Read a ``.vidjil`` file of one or more samples: one ``SampleResult`` per sample."""
    return _VidjilReader(str(path)).samples()


class _VidjilReader:
    """Turns the JSON of a ``.vidjil`` file into results, naming the field at fault."""

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            with open(path, "rb") as handle:
                self.data = json.loads(handle.read())
        except FileNotFoundError:
            raise InputFormatError(path, "no such file; check the path") from None
        except IsADirectoryError:
            raise InputFormatError(path, "is a directory, expected a .vidjil file") from None
        except json.JSONDecodeError as error:
            raise InputFormatError(path, f"not valid JSON: {error.msg} (column {error.colno})",
                                   line=error.lineno) from None
        except UnicodeDecodeError as error:
            raise InputFormatError(path, f"not UTF-8 text ({error.reason})") from None
        if not isinstance(self.data, dict):
            raise InputFormatError(path, "expected a JSON object at the top level")

    def error(self, field: str, message: str) -> InputFormatError:
        return InputFormatError(self.path, message, field=field)

    def get(self, obj: object, key: str, field: str, kind: type | tuple = object) -> object:
        if not isinstance(obj, dict) or key not in obj:
            raise self.error(field, "missing (required by the .vidjil format)")
        value = obj[key]
        if not isinstance(value, kind):
            raise self.error(field, f"expected {_kind_name(kind)}, found {_show(value)}")
        return value

    def per_sample(self, obj: object, key: str, field: str, number: int,
                   kind: type | tuple = object) -> list:
        """A per-sample array (a bare value is accepted for one-sample files)."""
        value = self.get(obj, key, field)
        values = value if isinstance(value, list) else [value]
        if len(values) != number:
            raise self.error(field, f"has {len(values)} values for {number} samples")
        for item in values:
            if item is not None and not isinstance(item, kind):
                raise self.error(field, f"expected {_kind_name(kind)}, found {_show(item)}")
        return values

    def count(self, value: object, field: str) -> int:
        try:
            number = int(value)  # fused files from other tools may hold numbers as strings
        except (TypeError, ValueError):
            raise self.error(field, f"expected a read count, found {_show(value)}") from None
        if number < 0:
            raise self.error(field, f"negative read count {number}")
        return number

    def real(self, value: object, field: str) -> float:
        if value is None:
            return math.nan
        try:
            return float(value)
        except (TypeError, ValueError):
            raise self.error(field, f"expected a number, found {_show(value)}") from None

    def samples(self) -> list[SampleResult]:
        data = self.data
        version = self.get(data, "vidjil_json_version", "vidjil_json_version", str)
        if version < "2016":
            raise self.error("vidjil_json_version",
                             f"format {version!r} is too old; re-run the analysis")
        samples = self.get(data, "samples", "samples", dict)
        number = self.count(self.get(samples, "number", "samples.number"), "samples.number")
        if number < 1:
            raise self.error("samples.number", "a file holds at least one sample")
        names = self.per_sample(samples, "original_names", "samples.original_names", number,
                                str)
        reads = self.get(data, "reads", "reads", dict)
        totals = self.per_sample(reads, "total", "reads.total", number)
        analysed = self.per_sample(reads, "segmented", "reads.segmented", number)
        by_locus = {locus: self.per_sample(reads["germline"], locus,
                                           f"reads.germline.{locus}", number)
                    for locus in self.get(reads, "germline", "reads.germline", dict)}
        reasons = {reason: self.per_sample(reads[NOT_ANALYSED], reason,
                                           f"reads.{NOT_ANALYSED}.{reason}", number)
                   for reason in reads.get(NOT_ANALYSED) or {}}
        clones_data = data.get("clones")
        if clones_data is None:  # vidjil-algo writes null when asked for no clone
            clones_data = []
        if not isinstance(clones_data, list):
            raise self.error("clones", f"expected a list, found {_show(clones_data)}")
        clones = [self.clone(item, f"clones[{i}]", number) for i, item in enumerate(clones_data)]
        diversity = self.diversity(data.get("diversity"), number)
        warnings = self.warnings(data.get("warn"), "warn")
        results = []
        for k in range(number):
            log = self.optional_text(samples, "log", k, number, "")
            results.append(SampleResult(
                original_name=names[k],
                producer=self.optional_text(samples, "producer", k, number,
                                            str(data.get("producer", ""))),
                timestamp=self.optional_text(
                    samples, "run_timestamp", k, number,
                    self.optional_text(samples, "timestamp", k, number,
                                       str(data.get("timestamp", "")))),
                commandline=self.optional_text(samples, "commandline", k, number, ""),
                total_reads=self.count(totals[k], f"reads.total[{k}]"),
                analysed_reads=self.count(analysed[k], f"reads.segmented[{k}]"),
                reads_by_locus={locus: self.count(values[k], f"reads.germline.{locus}[{k}]")
                                for locus, values in by_locus.items()},
                reasons={reason: self.count(values[k], f"reads.{NOT_ANALYSED}.{reason}[{k}]")
                         for reason, values in reasons.items()},
                clones=[replace(clone, reads=counts[k], average_read_length=lengths[k])
                        for clone, counts, lengths in clones
                        if number == 1 or counts[k] > 0],
                diversity={locus: Diversity(*(values[k] for values in indices))
                           for locus, indices in diversity.items()},
                log=log.split("\n") if log else [],
                warnings=list(warnings),
                preset=self.optional_text(samples, "preset", k, number, ""),
            ))
        return results

    def optional_text(self, samples: dict, key: str, k: int, number: int, default: str) -> str:
        if samples.get(key) is None:
            return default
        value = self.per_sample(samples, key, f"samples.{key}", number)[k]
        return default if value is None else str(value)

    def clone(self, item: object, field: str,
              number: int) -> tuple[Clone, list[int], list[float]]:
        """A clone with its per-sample read counts and average read lengths."""
        if not isinstance(item, dict):
            raise self.error(field, f"expected a clone object, found {_show(item)}")
        window = self.get(item, "id", f"{field}.id", str)
        sequence = item.get("sequence") or ""
        if not isinstance(sequence, str):
            raise self.error(f"{field}.sequence", f"expected a string, found {_show(sequence)}")
        counts = [self.count(value, f"{field}.reads[{k}]") for k, value in
                  enumerate(self.per_sample(item, "reads", f"{field}.reads", number))]
        lengths = ([self.real(value, f"{field}._average_read_length[{k}]") for k, value in
                    enumerate(self.per_sample(item, "_average_read_length",
                                              f"{field}._average_read_length", number))]
                   if "_average_read_length" in item else [math.nan] * number)
        top = self.get(item, "top", f"{field}.top", int)
        locus = self.get(item, "germline", f"{field}.germline", str)
        seg = item.get("seg") or {}
        if not isinstance(seg, dict):
            raise self.error(f"{field}.seg", f"expected an object, found {_show(seg)}")
        window_start = sequence.find(window)
        if "window" in seg:
            window_start = from_closed(*self.span(seg["window"], f"{field}.seg.window"))[0]
        quality = seg.get("quality", {}).get("seq") if isinstance(seg.get("quality"), dict) \
            else None
        clone = Clone(
            id=window, locus=locus, reads=counts[0], sequence=sequence,
            window_start=window_start, average_read_length=lengths[0],
            evalue=self.value(seg.get("evalue"), f"{field}.seg.evalue"), top=top,
            designation=self.designation(seg, sequence, locus, f"{field}.seg"),
            quality=quality, warnings=self.warnings(item.get("warn"), f"{field}.warn"))
        return clone, counts, lengths

    def value(self, feature: object, field: str) -> float:
        """A ``{"val": x}`` feature (NaN when absent)."""
        if feature is None:
            return math.nan
        if not isinstance(feature, dict):
            raise self.error(field, f"expected {{\"val\": ...}}, found {_show(feature)}")
        return self.real(feature.get("val"), f"{field}.val")

    def span(self, feature: object, field: str) -> tuple[int, int]:
        start = self.get(feature, "start", f"{field}.start", int)
        stop = self.get(feature, "stop", f"{field}.stop", int)
        if start < 1 or stop < start - 1:
            raise self.error(field, f"bad interval {start}..{stop} (1-based, both included)")
        return start, stop

    def designation(self, seg: dict, sequence: str, locus: str,
                    field: str) -> Designation | None:
        d_keys = sorted((key for key in seg if D_KEY.fullmatch(key)),
                        key=lambda key: self.span(seg[key], f"{field}.{key}"))
        if "4" in seg and not d_keys:
            d_keys = ["4"]
        if not ({"5", "3", "junction"} & set(seg) or d_keys):
            return None
        v = self.segment(seg.get("5"), f"{field}.5")
        j = self.segment(seg.get("3"), f"{field}.3")
        d = [self.segment(seg[key], f"{field}.{key}") for key in d_keys]
        segments = [s for s in (v, *d, j) if s is not None]
        inserts = [sequence[left.end:right.start] if left.end < right.start else ""
                   for left, right in zip(segments, segments[1:], strict=False)]
        junction = None
        if "junction" in seg:
            start, end = from_closed(*self.span(seg["junction"], f"{field}.junction"))
            info = seg["junction"]
            aa = info.get("aa", "")
            junction = Junction(start=start, end=end, nt=sequence[start:end], aa=aa,
                                productive=bool(info.get("productive", False)),
                                unproductive=info.get("unproductive"),
                                in_frame=info.get("in_frame"),
                                stop_codon=info.get("stop_codon"))
        evalue = (self.value(seg["designation_evalue"], f"{field}.designation_evalue")
                  if "designation_evalue" in seg else None)
        own_locus = seg.get("designation_locus", {}).get("info", locus) \
            if isinstance(seg.get("designation_locus"), dict) else locus
        return Designation(locus=own_locus, v=v, j=j, d=d, inserts=inserts,
                           junction=junction, evalue=evalue)

    def segment(self, data: object, field: str) -> SegmentCall | None:
        if data is None:
            return None
        start, end = from_closed(*self.span(data, field))
        name = data.get("name") or ""
        alleles = data.get("alleles") or ([name] if name else [])
        if not isinstance(alleles, list) or not all(isinstance(a, str) for a in alleles):
            raise self.error(f"{field}.alleles", f"expected a list of names, found "
                             f"{_show(alleles)}")
        return SegmentCall(
            alleles=alleles, start=start, end=end,
            del_left=self.optional_int(data, "delLeft", field),
            del_right=self.optional_int(data, "delRight", field),
            score=self.real(data["score"], f"{field}.score") if "score" in data else None,
            evalue=self.real(data["evalue"], f"{field}.evalue") if "evalue" in data else None)

    def optional_int(self, data: dict, key: str, field: str) -> int | None:
        value = data.get(key)
        if value is not None and not isinstance(value, int):
            raise self.error(f"{field}.{key}", f"expected an integer, found {_show(value)}")
        return value

    def diversity(self, data: object, number: int) -> dict[str, list[list[float]]]:
        """locus -> [shannon values, equitability values, simpson values] (per sample)."""
        if not data:
            return {}
        if not isinstance(data, dict):
            raise self.error("diversity", f"expected an object, found {_show(data)}")
        loci: dict[str, list[list[float]]] = {}
        for key in data:
            for position, index_key in enumerate(DIVERSITY_KEYS.values()):
                if key == index_key or key.startswith(index_key + "_"):
                    locus = key[len(index_key) + 1:] or WHOLE_SAMPLE
                    values = self.per_sample(data, key, f"diversity.{key}", number)
                    indices = loci.setdefault(locus, [[math.nan] * number for _ in range(3)])
                    indices[position] = [self.real(value, f"diversity.{key}")
                                         for value in values]
        return loci

    def warnings(self, data: object, field: str) -> list[str]:
        if not data:
            return []
        if not isinstance(data, list) or not all(isinstance(w, dict) for w in data):
            raise self.error(field, f"expected a list of {{code, level, msg}}, found "
                             f"{_show(data)}")
        return [warning_from_json(warning) for warning in data]


def _kind_name(kind: type | tuple) -> str:
    names = {str: "a string", int: "an integer", dict: "an object", list: "a list"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _show(value: object) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."
