"""Memory that does not grow with the vocabulary (issue 20.5): spaCy's string store, the memos and the pre-filter cache are bounded.

Web alt-text brings a new token (an id, a URL) in nearly every caption. Extraction parses inside spaCy memory
zones that are freed every `ZONE_CAPTIONS` captions, with the memos and the pre-filter cache emptied then, and
each cache has a size bound of its own. The counts must not change; `benchmarks/stream_memory.py` measures RSS.
"""

from __future__ import annotations

import random

from aobench.text import engine, memo, prefilter
from aobench.text.corpus import Record

WORDS = (["red", "blue", "striped", "wooden", "glass"], ["tiger", "teapot", "zebra", "violin", "school bus", "umbrella"])


def _captions(n: int) -> list[str]:
    rng = random.Random(0)
    return [f"a {rng.choice(WORDS[0])} {rng.choice(WORDS[1])} next to the {rng.choice(WORDS[1])} id{i:x}q{i * 2654435761 % 2**32:08x}" for i in range(n)]


def _count(caps: list[str]):
    from aobench.text.counts import Counts

    c = Counts()
    with engine.Runner("imagenet-ao", 1) as r:
        for _, pairs, negated in r.run(Record(str(i), t) for i, t in enumerate(caps)):
            c.add_caption(pairs, negated)
    return c.to_dict()


def test_counts_are_the_same_whether_zones_are_freed_often_or_not(monkeypatch):
    caps = _captions(1500)
    monkeypatch.setattr(engine, "ZONE_CAPTIONS", 10**9)
    once = _count(caps)  # one zone for the whole run
    monkeypatch.setattr(engine, "ZONE_CAPTIONS", 1)
    monkeypatch.setattr(engine, "CHUNK", 50)  # a zone freed after every 50 captions: 30 frees, memos refilled each time
    assert once["n_events"] >= 1400  # a pair in nearly every caption
    assert _count(caps) == once


def test_a_reloaded_pipeline_counts_the_same(monkeypatch):
    caps = _captions(600)
    once = _count(caps)
    monkeypatch.setattr(engine, "CHUNK", 50)
    monkeypatch.setattr(engine, "ZONE_CAPTIONS", 100)
    monkeypatch.setattr(engine, "RELOAD_CAPTIONS", 200)  # a fresh spaCy pipeline after every 200 captions: 2 reloads
    first = engine._WORKER_EXTRACTOR
    assert _count(caps) == once
    assert engine._WORKER_EXTRACTOR is not first and engine._SINCE_LOAD <= 200


def test_the_string_store_ends_where_it_began(monkeypatch):
    monkeypatch.setattr(engine, "CHUNK", 100)
    monkeypatch.setattr(engine, "ZONE_CAPTIONS", 300)
    _count(_captions(10))  # the worker's pipeline exists now
    nlp = engine._WORKER_EXTRACTOR.nlp
    before = len(nlp.vocab.strings)
    _count(_captions(2000))  # 2,000 tokens never seen before (and their lemmas)
    assert len(nlp.vocab.strings) == before
    assert not engine._WORKER_EXTRACTOR.prefilter._cache and engine._ZONE is None
    assert all(not getattr(p, "_memo", None) and not getattr(p, "_lemma_memo", None) for _, p in nlp.pipeline)


def test_the_prefilter_cache_has_a_bound(monkeypatch):
    from aobench.text.parse import load_nlp

    monkeypatch.setattr(prefilter, "CACHE_MAX", 100)
    pf = prefilter.Prefilter(load_nlp(), ["red"], ["car"])
    for i in range(1000):
        pf.lemmas(f"w{i}s")
        assert len(pf._cache) <= 100
    assert "car" in pf.lemmas("cars") and "car" in pf.lemmas("cars")  # right after a clear, and from the cache


def test_the_memos_have_a_bound_and_stay_exact(monkeypatch):
    import spacy

    from aobench.text.parse import load_nlp, model_name

    monkeypatch.setattr(memo, "_MEMO_MAX", 40)
    fast = load_nlp()
    stock = spacy.load(model_name(), exclude=["ner", "senter"])
    caps = _captions(60)

    def sig(doc):
        return [(t.text, t.pos_, str(t.morph), t.lemma_, t.tag_, t.dep_) for t in doc]

    assert [sig(d) for d in fast.pipe(caps)] == [sig(d) for d in stock.pipe(caps)]
    ruler, lemma = fast.get_pipe("attribute_ruler"), fast.get_pipe("lemmatizer")
    assert 0 < len(ruler._memo) <= 40 and 0 < len(lemma._lemma_memo) <= 40


def test_nmi_of_unique_tokens_is_unchanged_by_the_bounds(tmp_path, capsys, monkeypatch):
    import json

    from conftest import cli

    workers = 1  # the constants below reach this process only (spawned workers import their own)
    f = tmp_path / "caps.txt"
    f.write_text("\n".join(_captions(400)) + "\n")
    code, _, err = cli(capsys, "nmi", f, "--out", tmp_path / "a", "--workers", workers)
    assert code == 0, err
    monkeypatch.setattr(engine, "CHUNK", 32)
    monkeypatch.setattr(engine, "ZONE_CAPTIONS", 1)
    code, _, err = cli(capsys, "nmi", f, "--out", tmp_path / "b", "--workers", workers)
    assert code == 0, err
    assert (tmp_path / "a" / "counts.json").read_bytes() == (tmp_path / "b" / "counts.json").read_bytes()
    assert json.loads((tmp_path / "a" / "nmi.json").read_text())["n_events"] >= 380
