"""Foil generation: known answers per type on hand-written captions, the type/synonym/group rules, grammar, seeds."""

from __future__ import annotations

import json

import pytest
import yaml

from aobench.errors import AobenchError
from aobench.foils.grammar import bow_identical, changed_span, pluralize
from aobench.foils.make import FOIL_TYPES, FoilMaker, parse_types
from aobench.vocab import Attribute, ObjectClass, Vocab


def small_vocab(rules=None) -> Vocab:
    """Colours (one with a synonym), a material and a size; vehicles and animals as coarse groups."""
    return Vocab(
        objects=[ObjectClass("car", group="vehicle"), ObjectClass("bus", group="vehicle"),
                 ObjectClass("dog", group="animal"), ObjectClass("cat", group="animal")],
        attributes=[Attribute("red", "colour"), Attribute("blue", "colour"), Attribute("orange", "colour"),
                    Attribute("gray", "colour", ("grey",)), Attribute("wooden", "material", ("wood",)),
                    Attribute("large", "size", ("big",))],
        rules=rules or [],
    )  # fmt: skip


@pytest.fixture(scope="module")
def extractor():
    from aobench.text.parse import Extractor

    return Extractor(small_vocab())


def foils(extractor, caption, types=FOIL_TYPES, per_type=0, seed=0, vocab=None):
    """Rows of every foil of one caption (all alternatives by default)."""
    maker = FoilMaker(vocab or extractor.vocab, seed=seed, per_type=per_type)
    ((doc, matches),) = list(extractor.parse([caption]))
    return [f.row() for f in maker.from_parse("c0", caption, doc, matches, parse_types(types))]


def texts(rows, typ):
    return {r["foil"] for r in rows if r["type"] == typ}


# -- known answers, one type at a time --------------------------------------------------------------


def test_replace_att_same_type_with_article_agreement(extractor):
    rows = foils(extractor, "a red car", ["replace_att"])
    assert texts(rows, "replace_att") == {"a blue car", "an orange car", "a gray car"}
    assert foils(extractor, "An orange car.", ["replace_att"])[0]["foil"] in {"A red car.", "A blue car.", "A gray car."}
    assert texts(foils(extractor, "An orange car.", ["replace_att"]), "replace_att") == {"A red car.", "A blue car.", "A gray car."}


def test_replace_att_never_a_synonym(extractor):
    # "grey" is gray: its foils are the other colours, never "gray" (nor a material or size)
    assert texts(foils(extractor, "a grey car", ["replace_att"]), "replace_att") == {"a red car", "a blue car", "an orange car"}
    # the size attribute has no other size in the vocab: no foil rather than a cross-type one
    assert texts(foils(extractor, "a big car", ["replace_att"]), "replace_att") == set()


def test_replace_att_skips_attributes_already_in_the_caption(extractor):
    rows = foils(extractor, "a red car next to a blue bus", ["replace_att"])
    assert "a blue car next to a blue bus" not in texts(rows, "replace_att")
    assert "a gray car next to a blue bus" in texts(rows, "replace_att")


def test_replace_obj_same_group_and_plural(extractor):
    assert texts(foils(extractor, "a red car", ["replace_obj"]), "replace_obj") == {"a red bus"}
    assert texts(foils(extractor, "two red cars parked on the street", ["replace_obj"]), "replace_obj") == {"two red buses parked on the street"}
    assert texts(foils(extractor, "the dogs are large", ["replace_obj"]), "replace_obj") == {"the cats are large"}


def test_swap_att_is_a_permutation(extractor):
    rows = foils(extractor, "a red car next to a blue bus", ["swap_att"])
    assert [(r["foil"], r["bow_identical"]) for r in rows] == [("a blue car next to a red bus", True)]
    assert rows[0]["foil_pairs"] == [["blue", "car"], ["red", "bus"]]


def test_swap_obj_keeps_each_slots_number(extractor):
    rows = foils(extractor, "a red car next to a blue bus", ["swap_obj"])
    assert [(r["foil"], r["bow_identical"]) for r in rows] == [("a red bus next to a blue car", True)]
    rows = foils(extractor, "two red cars parked near a gray bus", ["swap_obj"])
    # "cars"/"bus" become "buses"/"car": the words change, so this swap is not bag-of-words identical
    assert [(r["foil"], r["bow_identical"]) for r in rows] == [("two red buses parked near a gray car", False)]


def test_swap_needs_two_pairs(extractor):
    assert foils(extractor, "a red car", ["swap_att", "swap_obj"]) == []
    # same attribute on both nouns: swapping the nouns would not change the meaning
    assert foils(extractor, "a red car next to a red bus", ["swap_obj", "swap_att"]) == []


def test_add_att_in_adjective_order(extractor):
    assert texts(foils(extractor, "a red car", ["add_att"]), "add_att") == {"a large red car", "a red wooden car"}
    assert texts(foils(extractor, "the car is red", ["add_att"]), "add_att") == {"the large car is red", "the wooden car is red"}
    assert texts(foils(extractor, "Red car on the road", ["add_att"]), "add_att") == {"Large red car on the road", "Red wooden car on the road"}
    assert texts(foils(extractor, "an orange dog", ["add_att"]), "add_att") == {"a large orange dog", "an orange wooden dog"}


def test_add_att_respects_compatibility_rules(extractor):
    vocab = small_vocab(rules=[{"deny": {"groups": ["animal"], "attribute_types": ["material"]}}])
    rows = foils(extractor, "a red dog", ["add_att", "replace_att"], vocab=vocab)
    assert texts(rows, "add_att") == {"a large red dog"}  # no "wooden dog"


def test_negate(extractor):
    assert texts(foils(extractor, "a red car", ["negate"]), "negate") == {"a car that is not red"}
    assert texts(foils(extractor, "an orange car parked outside", ["negate"]), "negate") == {"a car that is not orange parked outside"}
    assert texts(foils(extractor, "two red cars parked outside", ["negate"]), "negate") == {"two cars that are not red parked outside"}
    assert texts(foils(extractor, "the car is red", ["negate"]), "negate") == {"the car is not red"}
    assert texts(foils(extractor, "a car that is red", ["negate"]), "negate") == {"a car that is not red"}
    rows = foils(extractor, "a red car", ["negate"])
    assert rows[0]["negation"] is True and rows[0]["bow_identical"] is False


def test_every_row_records_type_span_and_never_equals_its_caption(extractor):
    caption = "a red car next to a blue bus and a gray dog"  # swap_obj needs two nouns of one kind
    rows = foils(extractor, caption)
    assert {r["type"] for r in rows} == set(FOIL_TYPES)
    for r in rows:
        assert list(r)[:5] == ["id", "caption", "foil", "type", "bow_identical"]
        assert r["foil"] != r["caption"] == caption
        s, e = r["span"]
        assert caption[:s] + r["replacement"] + caption[e:] == r["foil"]
    assert len({r["foil"] for r in rows}) == len(rows)


def test_no_pair_no_foils(extractor):
    assert foils(extractor, "a photo of something on a table") == []


def test_negated_pairs_never_start_a_foil(extractor):
    # the caption denies (blue, car): a foil of it would not be false ("the car is not orange" is true as well)
    assert foils(extractor, "the car is not blue") == []
    assert foils(extractor, "no red cars on the street") == []
    rows = foils(extractor, "the bus is red but the car is not blue", ["replace_att"])
    assert rows and all(r["pairs"] == [["red", "bus"]] for r in rows)
    assert {r["foil"] for r in rows} == {"the bus is blue but the car is not blue", "the bus is orange but the car is not blue", "the bus is gray but the car is not blue"}
    ((_, every),) = list(extractor.parse(["the bus is red but the car is not blue"], negated=True))
    assert [(m.attribute, m.object, m.negated) for m in every] == [("red", "bus", False), ("blue", "car", True)]


# -- seeds -----------------------------------------------------------------------------------------


def test_seed_determinism_and_independence(extractor):
    caps = [f"a red car next to a blue bus number {i}" for i in range(30)]
    parsed = list(extractor.parse(caps))

    def run(seed, types=FOIL_TYPES):
        maker = FoilMaker(extractor.vocab, seed=seed, per_type=1)
        return [f.row() for i, (d, m) in enumerate(parsed) for f in maker.from_parse(f"id{i}", caps[i], d, m, types)]

    a, b, c = run(1), run(1), run(2)
    assert a == b
    assert a != c
    # a type's foils do not depend on which other types were asked for
    assert [r for r in a if r["type"] == "replace_att"] == run(1, ("replace_att",))


# -- grammar helpers -------------------------------------------------------------------------------


def test_grammar_helpers():
    assert [pluralize(w) for w in ("bus", "golden retriever", "knife", "butterfly", "sheep", "box")] == [
        "buses", "golden retrievers", "knives", "butterflies", "sheep", "boxes"]  # fmt: skip
    assert changed_span("a red car", "a blue car") == (2, 5, "blue")
    assert changed_span("a big golden retriever", "a big gray golden retriever") == (6, 6, "gray ")
    assert bow_identical("a red car and a blue bus", "a blue car and a red bus")
    assert not bow_identical("a red car", "a red car")  # identical text is not a foil
    assert not bow_identical("a red car", "a car that is not red")
    assert bow_identical("A red car, a blue bus.", "a blue car a red bus")  # case and punctuation ignored


def test_parse_types_lists_valid_ones():
    assert parse_types(["swap_att,negate", "negate"]) == ("swap_att", "negate")
    assert parse_types(None) == FOIL_TYPES
    with pytest.raises(AobenchError, match="valid types: replace_att, replace_obj, swap_att, swap_obj, add_att, negate"):
        parse_types(["swap_colour"])


# -- built datasets: known pair per row, no parse --------------------------------------------------


def fake_build(tmp_path, rows):
    lock = {"recipe": {"name": "t", "vocab": {"objects": "shapes", "attributes": "shapes"},
                       "prompts": ["{a} {attribute} {object}", "a picture of {a} {attribute} {object}"]}}  # fmt: skip
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "recipe.lock.yaml").write_text(yaml.safe_dump(lock))
    (tmp_path / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return tmp_path


def test_build_dir_foils_use_the_known_pair_and_the_rows_template(tmp_path):
    from aobench.foils.pipeline import run_foils

    rows = [
        {"id": "r0", "split": "test", "attribute": "red", "attribute_type": "colour", "object": "circle", "prompt": "a picture of a red circle", "filters": "kept"},
        {"id": "r1", "split": "test", "attribute": "striped", "attribute_type": "pattern", "object": "star", "prompt": "a striped star", "filters": "kept"},
        {"id": "r2", "split": "test", "attribute": "red", "attribute_type": "colour", "object": "ring", "prompt": "a red ring", "filters": "near_duplicate"},
    ]  # fmt: skip
    build = fake_build(tmp_path / "b", rows)
    res = run_foils(build, tmp_path / "foils.jsonl", per_type=0, audit=False)
    out = [json.loads(x) for x in (tmp_path / "foils.jsonl").read_text().splitlines()]
    assert res["n_captions"] == 2  # the dropped row makes no foils
    by = lambda i, t: {r["foil"] for r in out if r["id"] == i and r["type"] == t}  # noqa: E731
    assert by("r0", "replace_obj") == {"a picture of a red crescent", "a picture of a red ring"}  # same group: round
    assert "a picture of an orange circle" in by("r0", "replace_att")
    assert all(f.split()[-2] in {"green", "blue", "yellow", "purple", "orange", "pink", "cyan"} for f in by("r0", "replace_att"))
    assert by("r0", "negate") == {"a picture of a circle that is not red"}
    assert by("r0", "add_att") == {"a picture of a small red circle", "a picture of a large red circle",
                                   "a picture of a striped red circle", "a picture of a dotted red circle",
                                   "a picture of a checkered red circle"}  # fmt: skip
    assert by("r1", "replace_att") == {"a dotted star", "a checkered star"}
    assert by("r1", "replace_obj") == {"a striped heart", "a striped cross", "a striped arrow"}
    assert not [r for r in out if r["type"].startswith("swap")]


def test_letter_case_of_moved_words_and_vocab_names(extractor):
    rows = foils(extractor, "Red car next to a blue bus", ["swap_att"])
    assert [r["foil"] for r in rows] == ["Blue car next to a red bus"]
    vocab = small_vocab()
    vocab.objects.append(ObjectClass("Land Rover", group="vehicle"))
    vocab = Vocab(vocab.objects, vocab.attributes)
    # a proper name from the vocab keeps its capitals mid-sentence
    assert "a red Land Rover" in texts(foils(extractor, "a red car", ["replace_obj"], vocab=vocab), "replace_obj")
