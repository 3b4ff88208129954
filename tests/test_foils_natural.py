"""Foils of natural photo captions with the default imagenet-ao vocab and in open vocabulary (real spaCy parses)."""

from __future__ import annotations

import json
import re

import pytest

from aobench.errors import AobenchError
from aobench.foils.make import FOIL_TYPES, FoilMaker
from aobench.foils.pipeline import run_foils
from conftest import cli

SIZE_WORDS = {"large", "big", "huge", "enormous", "giant", "small", "little", "tiny", "miniature"}
SAME_SCALE = [{"large", "big", "huge", "enormous", "giant"}, {"small", "little", "tiny", "miniature"}, {"yellow", "golden", "gold"},
              {"gray", "grey", "silver"}, {"red", "crimson", "maroon", "scarlet"}, {"brown", "tan", "beige"}]  # fmt: skip
ARTEFACT = re.compile(r"/|\bor\b|\(|\)")


@pytest.fixture(scope="module")
def imagenet():
    from aobench.text.parse import Extractor, vocab_for

    vocab = vocab_for("imagenet-ao")
    return Extractor(vocab), vocab


def foils_of(extractor, vocab, caption, types=FOIL_TYPES, per_type=0):
    from aobench.foils.lexicon import FoilLexicon

    maker = FoilMaker(FoilLexicon(vocab), per_type=per_type)
    ((doc, matches),) = list(extractor.parse([caption]))
    return [f.row() for f in maker.from_parse("c0", caption, doc, matches, types)]


def by_type(rows, typ):
    return {r["foil"] for r in rows if r["type"] == typ}


def test_generic_nouns_are_foiled_again(imagenet):
    # the regression: car and bus are the hypernym map's generic nouns, not classes
    rows = foils_of(*imagenet, "a red car next to a blue bus")
    assert by_type(rows, "swap_att") == {"a blue car next to a red bus"}
    assert by_type(rows, "swap_obj") == {"a red bus next to a blue car"}
    assert "a red truck next to a blue bus" in by_type(rows, "replace_obj")
    assert "a red van next to a blue bus" not in by_type(rows, "replace_obj")  # a near-synonym of car
    assert "a green car next to a blue bus" in by_type(rows, "replace_att")
    assert by_type(rows, "negate") == {"a car that is not red next to a blue bus", "a red car next to a bus that is not blue"}
    dog = foils_of(*imagenet, "A black dog runs through the grass .", ["replace_att", "replace_obj"])
    assert "A white dog runs through the grass ." in by_type(dog, "replace_att")
    assert by_type(dog, "replace_obj") == {"A black cat runs through the grass ."}


def test_word_senses_and_compounds(imagenet):
    ears = foils_of(*imagenet, "the dog has brown ears", ["replace_att", "replace_obj"])
    assert ears and all(r["pairs"] == [["brown", "ear"]] for r in ears)  # not ImageNet's corn cob
    assert by_type(ears, "replace_obj") == set()  # a body part is not traded for a plant
    suit = foils_of(*imagenet, "a girl in a pink bathing suit", ["replace_obj"])
    assert suit and all(r["pairs"] == [["pink", "swimsuit"]] for r in suit)
    # the whole compound is the noun that is replaced: "bathing" goes with "suit"
    assert "a girl in a pink skirt" in by_type(suit, "replace_obj")
    assert all("bathing" not in f for f in by_type(suit, "replace_obj"))
    business = foils_of(*imagenet, "a man in a black suit", ["replace_att"])
    assert business and business[0]["pairs"] == [["black", "suit"]]  # a plain suit is the class
    kite = foils_of(*imagenet, "a red kite in the sky", ["replace_obj"])
    assert "a red balloon in the sky" in by_type(kite, "replace_obj") and all("(" not in f for f in by_type(kite, "replace_obj"))


def test_plural_only_nouns_keep_the_number(imagenet):
    rows = foils_of(*imagenet, "A man in a red shirt and blue jeans .", ["replace_obj", "swap_obj"])
    assert rows
    for f in by_type(rows, "replace_obj"):
        assert not re.search(r"\ba red (jeans|shorts|pants|sunglasses)\b", f), f


def test_open_vocabulary_types_attributes_with_the_lexicon(tmp_path):
    caps = tmp_path / "caps.txt"
    caps.write_text("a young boy in a red shirt\na black man in a white shirt\na small dog on a big rock\n")
    out = tmp_path / "f.jsonl"
    res = run_foils(caps, out, vocab="none", per_type=0, audit=False, plausibility=False)
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert res["n_with_pairs"] == 3
    boy = [r for r in rows if r["caption"].startswith("a young boy") and r["type"] == "replace_att"]
    assert boy and all(re.match(r"a young boy in an? ", r["foil"]) for r in boy)  # "young" is untyped: never replaced
    man = [r for r in rows if r["caption"].startswith("a black man")]
    assert man and all("black man" in r["foil"] for r in man)  # colour words of people are kept apart
    dog = {r["foil"] for r in rows if r["caption"].startswith("a small dog") and r["type"] == "replace_att"}
    # small ↔ large/huge/giant, never tiny; "big" is large, already in the caption, so not a replacement of "small"
    assert dog == {"a huge dog on a big rock", "a giant dog on a big rock", "a small dog on a tiny rock", "a small dog on a miniature rock"}


def test_skip_reasons_name_the_true_cause(tmp_path, capsys):
    caps = tmp_path / "caps.txt"
    caps.write_text("a young boy\na photo\n")
    # the only pair has an untyped attribute: pairs are found, but no replace_att foil can be made
    with pytest.raises(AobenchError, match=r"1 captions have attribute–object pairs but none has a valid foil of type\(s\) replace_att .*replace_att: no_candidate 1"):
        run_foils(caps, tmp_path / "f.jsonl", vocab="none", types=["replace_att"], audit=False)
    code, out, err = cli(capsys, "foils", caps, "--out", tmp_path / "g.jsonl", "--vocab", "none", "--no-audit")
    assert code == 0, err
    assert "skipped 1 captions with no attribute-object pair, e.g. 'a photo'" in out
    assert "no foil of a type, by reason (captions with pairs): replace_att: no candidate 1" in out


def test_foil_ids_are_the_ids_extract_gives(tmp_path):
    from aobench.text.engine import extract_to_jsonl

    caps = tmp_path / "caps.jsonl"
    caps.write_text("".join(json.dumps({"id": f"img{i}#0", "caption": c}) + "\n"
                            for i, c in enumerate(["a red car next to a blue bus", "a photo", "A black dog runs through the grass ."])))  # fmt: skip
    extract_to_jsonl([str(caps)], tmp_path / "x.jsonl", "imagenet-ao")
    extracted = {json.loads(x)["id"] for x in (tmp_path / "x.jsonl").read_text().splitlines() if json.loads(x)["pairs"]}
    run_foils(caps, tmp_path / "f.jsonl", audit=False)
    assert {json.loads(x)["id"] for x in (tmp_path / "f.jsonl").read_text().splitlines()} == extracted == {"img0#0", "img2#0"}


def test_a_sample_of_natural_captions(natural_captions, tmp_path):
    # the bar on real captions, on our own photo-style sample: >= 80% of the captions with a pair get a foil,
    # no foil writes a class-name artefact, no replacement is a near-synonym on one scale
    out = tmp_path / "f.jsonl"
    res = run_foils(natural_captions, out, audit=False)
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert res["n_with_pairs"] >= 30 and res["share_foiled"] >= 0.8
    for r in rows:
        assert len(ARTEFACT.findall(r["foil"])) <= len(ARTEFACT.findall(r["caption"])), r  # the caption's own "or" is fine
        if r["type"] == "replace_att":  # pairs and foil_pairs are aligned: the replaced attribute is where they differ
            ((old, new),) = {(a, b) for (a, _), (b, _) in zip(r["pairs"], r["foil_pairs"]) if a != b}
            assert not any({old, new} <= g for g in SAME_SCALE), r
            if old in SIZE_WORDS:
                assert new in SIZE_WORDS, r  # a size is only replaced by its opposite, never by "tall" or "wide"
    assert res["implausible_per_type"]  # the prior had something to say on these captions
    # every type is represented
    assert {r["type"] for r in rows} == set(FOIL_TYPES)


def test_two_runs_into_one_folder_keep_both_audits(tmp_path):
    from conftest import hashing_embedder

    caps = tmp_path / "caps.txt"
    caps.write_text("a red car next to a blue bus\nA black dog runs through the grass .\n")
    a = run_foils(caps, tmp_path / "a.jsonl", embed=hashing_embedder, blind_clip="aobench-tiny", types=["replace_att"])
    b = run_foils(caps, tmp_path / "b.jsonl", embed=hashing_embedder, blind_clip=None, types=["negate"])
    assert a["audit_path"] == str(tmp_path / "a.audit.json") and b["audit_path"] == str(tmp_path / "b.audit.json")
    ra, rb = json.loads((tmp_path / "a.audit.json").read_text()), json.loads((tmp_path / "b.audit.json").read_text())
    assert set(ra["types"]) == {"replace_att"} and set(rb["types"]) == {"negate"}
    assert ra["types"]["replace_att"]["random_clip"] is not None and rb["types"]["negate"]["random_clip"] is None
    assert rb["types"]["negate"]["length"]["acc"] == 1.0  # negation foils are longer: the length scorer gives them away
    assert ra["pmi_leave_one_out"] is True and ra["counts_source"] == "the input's own captions"
    assert ra["plausibility"]["reference"][-1] == "the input's own captions"


def test_no_participle_is_added_and_no_negation_splits_a_possessive(imagenet):
    added = by_type(foils_of(*imagenet, "A black dog runs down a snowy hill .", ["add_att"]), "add_att")
    assert added and not any(re.search(r"\b\w+ing black dog\b", f) for f in added)  # never "a sleeping black dog runs"
    negated = by_type(foils_of(*imagenet, "a cat sniffs the gray dog 's ear", ["negate"]), "negate")
    assert not any("not gray 's" in f for f in negated)


def test_an_attribute_with_its_own_complement_is_not_replaced(imagenet):
    rows = foils_of(*imagenet, "A boy points towards a bowl full of cork .", ["replace_att"])
    assert not any("empty of" in f for f in by_type(rows, "replace_att"))
    assert "A boy points towards an empty bowl ." in by_type(foils_of(*imagenet, "A boy points towards a full bowl .", ["replace_att"]), "replace_att")


def test_open_vocabulary_leaves_which_words_and_hyphenated_colours_alone(tmp_path):
    caps = tmp_path / "caps.txt"
    caps.write_text("two boys skate with other people\ntwo greyish-brown dogs look at a red ball\n")
    out = tmp_path / "f.jsonl"
    run_foils(caps, out, vocab="none", per_type=0, audit=False, plausibility=False)
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert not any(r["caption"].startswith("two boys") for r in rows)  # "other" is no attribute (text.parse's stop list)
    dogs = [r["foil"] for r in rows if r["type"] == "replace_att" and "greyish" in r["caption"]]
    assert dogs and all("greyish-brown" in f for f in dogs)  # the red ball is replaced, the hyphenated colour is not
