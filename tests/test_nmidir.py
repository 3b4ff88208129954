"""The `aobench nmi` dir: one writer and one reader (NmiDir), `Corpus` and `load_corpus` for every stage."""

from __future__ import annotations

import json

import pytest

from aobench.errors import AobenchError
from aobench.nmidir import NmiDir, corpus_info, list_builtin, load_corpus, resolve
from aobench.text.counts import Counts


def _counts() -> Counts:
    c = Counts()
    c.add_caption([("red", "car"), ("blue", "bus")], negated=[("green", "car")])
    c.add_caption([("red", "car")])
    return c


def test_writer_takes_any_keys_and_the_reader_gives_them_back(tmp_path):
    nd = NmiDir(tmp_path / "n")
    stats = {"nmi": 0.5, "mi": 0.1, "ami": 0.25, "corpus": "c", "ci": {"low": 0.4, "high": 0.6}}  # `ami`: a key this module never named
    rows = [{"attribute": "red", "object": "car", "count": 2, "pmi": 0.1234567, "npmi": 1 / 3, "seen": True, "ami_part": 0.5}]
    nd.write(_counts(), stats, rows)
    assert json.loads(nd.nmi_path.read_text()) == stats and nd.stats() == stats
    assert nd.pairs_path.read_text() == "attribute,object,count,pmi,npmi,seen,ami_part\nred,car,2,0.123457,0.333333,1,0.500000\n"
    assert nd.pairs()[0]["count"] == 2.0 and nd.pairs()[0]["pmi"] == pytest.approx(0.123457)
    assert nd.counts().to_dict() == _counts().to_dict()
    nd.write_comparison([stats, {"corpus": "d", "nmi": float("nan")}], fields=("corpus", "nmi", "ci_low", "ami"))
    assert nd.comparison_path.read_text() == "corpus,nmi,ci_low,ami\nc,0.5,0.4,0.25\nd,,,\n"  # undefined NMI: empty


def test_bad_dirs_are_one_line_errors(tmp_path):
    with pytest.raises(AobenchError, match=r"--corpus .*: no nmi.json — pass a directory written by `aobench nmi --out DIR`"):
        NmiDir(tmp_path).stats("--corpus")
    (tmp_path / "nmi.json").write_text('{"nmi": 0.5,\n oops}')
    with pytest.raises(AobenchError, match=r"nmi.json:2: not valid JSON"):
        NmiDir(tmp_path).stats()
    assert NmiDir(tmp_path).stats(tolerant=True) == {}
    with pytest.raises(AobenchError, match=r"no saved counts at .* \(expected an `aobench nmi` output dir or a counts.json\)"):
        NmiDir(tmp_path).counts()
    (tmp_path / "counts.json").write_text("{}")
    with pytest.raises(AobenchError, match=r"malformed counts file .*counts.json"):
        load_corpus(tmp_path)
    # an unknown built-in: one line naming every built-in corpus there is (however many ship)
    with pytest.raises(AobenchError, match=r"^unknown built-in corpus 'builtin:nope'; built-in: ") as err:
        load_corpus("builtin:nope")
    listed = str(err.value).split("; built-in: ", 1)[1].split(" (or give", 1)[0].split(", ")
    assert "\n" not in str(err.value) and "builtin:coco-captions" in listed
    assert sorted(listed) == sorted(f"builtin:{n}" for n in list_builtin())


def test_one_corpus_for_evidence_and_for_the_report(tmp_path):
    nd = NmiDir(tmp_path / "nmi")
    nd.write(_counts(), {"nmi": 0.5, "corpus": "captions", "n_captions": 2}, [])
    # evidence (recipes, filters, foils): counts read now; named as cards list it (source.yaml, else the folder)
    ev = load_corpus(nd.root)
    assert ev.name == "nmi" and ev.pair_count("Red", "Car") == 2 and ev.negated_count("green", "car") == 1 and ev.info["n_captions"] == 2
    assert load_corpus(nd.root) is ev  # cached while counts.json is unchanged
    # the report: statistics required, counts not; named as measured (nmi.json's corpus)
    nd.counts_path.unlink()
    rep = load_corpus(nd.nmi_path, need="stats")
    assert rep.name == "captions" and rep.nmi == 0.5 and rep.path == nd.root and rep.pairs == []
    # a counts JSON by its own path; an in-memory corpus
    NmiDir(tmp_path, counts_file=tmp_path / "mine.json").write_counts(_counts())
    assert resolve(tmp_path / "mine.json").counts().n_events == 3 and corpus_info(tmp_path / "mine.json")["name"] == tmp_path.name
    builtin = load_corpus("builtin:coco-captions")
    assert builtin.name == "coco-captions" and builtin.info["n_captions"] == 25014 and builtin.stats["corpus"] == "coco-captions"
