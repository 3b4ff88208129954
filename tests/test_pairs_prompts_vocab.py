"""Vocabulary data, pair selection (seen/unusual, sampling, dependence) and prompt grammar."""

import math

import pytest

from aobench import recipe
from aobench.errors import AobenchError
from aobench.budget import allocate, train_distribution
from aobench.pairs import read_seen_pairs, select_pairs
from aobench.prompts import article, render
from aobench.vocab import load_attributes, load_objects, load_vocab


def test_imagenet_vocab_has_1000_classes_with_synonyms_and_groups():
    objs = load_objects("imagenet")
    assert len(objs) == 1000
    assert objs[0].name == "tench" and objs[0].group == "animal"
    tabby = next(o for o in objs if o.name == "tabby cat")
    assert "tabby" in tabby.synonyms
    assert {o.group for o in objs} == {"animal", "artifact", "food", "nature", "person", "plant"}


def test_vaw_attributes_are_typed_and_about_140():
    attrs = load_attributes("vaw")
    assert 130 <= len(attrs) <= 160
    assert {a.type for a in attrs} == {"colour", "material", "shape", "texture", "pattern", "state", "size"}
    gray = next(a for a in attrs if a.name == "gray")
    assert gray.type == "colour" and "grey" in gray.synonyms
    assert len(load_attributes("v1")) == 30


@pytest.mark.parametrize(
    "word,expected",
    [("apple", "an"), ("red", "a"), ("umbrella", "an"), ("unicorn", "a"), ("hour", "an"), ("one", "a"),
     ("European", "a"), ("ice", "an"), ("yellow", "a"), ("honest", "an"), ("orange", "an"), ("useful", "a")],
)  # fmt: skip
def test_article(word, expected):
    assert article(word) == expected


def test_render_agrees_article_with_next_word():
    assert render("a photo of {a} {attribute} {object}", "orange", "tiger") == "a photo of an orange tiger"
    assert render("{a} {attribute} {object}", "glass", "egg") == "a glass egg"
    assert render("{a} {object} that is {attribute}", "red", "apple") == "an apple that is red"


def test_compatibility_rules_remove_pairs():
    r = recipe.load("imagenet-ao")
    v = load_vocab(r.vocab)
    volcano = v.object("volcano")
    assert not v.compatible(v.attribute("tiny"), volcano)  # size denied for nature
    assert not v.compatible(v.attribute("sleeping"), v.object("pizza"))
    assert v.compatible(v.attribute("sleeping"), v.object("tabby cat"))


def test_imagenet_pairs_sampled_per_object_exclude_seen(tmp_path):
    seen = tmp_path / "seen.txt"
    seen.write_text("red tench\nwooden goldfish\n")
    r = recipe.load("imagenet-ao", {"vocab": {"max_objects": 3}, "pairs": {"seen_pairs": str(seen), "attributes_per_object": 4}})
    v = load_vocab(r.vocab)
    pairs = select_pairs(r, v)
    drawn = [p for p in pairs if p.selected]
    assert len(drawn) == 12 and all(p.status == "unusual" and p.evidence == ["seen_pairs"] for p in drawn)
    keys = {p.key() for p in drawn}
    assert ("red", "tench") not in keys and ("wooden", "goldfish") not in keys
    # the excluded ones stay listed, with why
    excluded = {p.key(): p for p in pairs if not p.selected}
    assert set(excluded) == {("red", "tench"), ("wooden", "goldfish")}
    assert excluded[("red", "tench")].status == "seen" and excluded[("red", "tench")].counts == {"seen_pairs": 1}
    # the same seed picks the same pairs; another seed picks others
    assert [p.key() for p in select_pairs(r, v)] == [p.key() for p in pairs]
    other = recipe.load("imagenet-ao", {"seed": 7, "vocab": {"max_objects": 3}, "pairs": {"attributes_per_object": 4}})
    assert {p.key() for p in select_pairs(other, v)} != keys


class _Counts:
    def __init__(self, table):
        self.table = table

    def pair_count(self, a, o):
        return self.table.get((a, o), 0)


def test_corpus_counts_mark_pairs_seen_at_threshold():
    r = recipe.load("imagenet-ao", {"vocab": {"max_objects": 1}, "pairs": {"attributes_per_object": None, "seen_threshold": 3}})
    v = load_vocab(r.vocab)
    pairs = {p.key(): p for p in select_pairs(r, v, [_Counts({("red", "tench"): 2, ("blue", "tench"): 3})])}
    assert pairs[("red", "tench")].status == "unusual" and pairs[("red", "tench")].selected
    assert pairs[("blue", "tench")].status == "seen" and not pairs[("blue", "tench")].selected
    assert pairs[("red", "tench")].corpus_count == 2 and pairs[("red", "tench")].counts == {"corpus1": 2}
    assert pairs[("blue", "tench")].level == "class"


def test_shapes_holdout_is_balanced():
    r = recipe.load("shapes-ao")
    v = load_vocab(r.vocab)
    pairs = select_pairs(r, v)
    assert len(pairs) == 12 * 13
    k = round(0.25 * 13)
    for o in v.objects:
        assert sum(p.status == "unusual" for p in pairs if p.object == o.name) == k
    per_attr = [sum(p.status == "unusual" for p in pairs if p.attribute == a.name) for a in v.attributes]
    assert max(per_attr) - min(per_attr) <= 1


def test_dependence_distribution_known_answer():
    from aobench.pairs import Pair

    pairs = [Pair(a, o, "colour", "g", "seen") for o in ("x", "y") for a in ("p", "q")]
    probs = train_distribution(pairs, 0.5, seed=0)
    assert math.isclose(sum(probs.values()), 1.0)
    for o in ("x", "y"):
        vals = sorted(probs[(a, o)] for a in ("p", "q"))
        assert vals == pytest.approx([0.125, 0.375])  # (1-d)/2/2 and ((1-d)/2 + d)/2
    counts = allocate(probs, 10)
    assert sum(counts.values()) == 10 and sorted(counts.values()) == [1, 1, 4, 4]


def test_split_counts_floor_and_shared_to_own_known_answers():
    from aobench.budget import shared_attributes, split_counts
    from aobench.pairs import Pair

    # objects x, y; attribute p seen with both (the shared one), q only with x, r only with y
    pairs = [Pair(a, o, "colour", "g", "seen") for o, attrs in (("x", "pq"), ("y", "pr")) for a in attrs]
    assert shared_attributes(pairs) == {"x": "p", "y": "p"}
    floor = split_counts(pairs, 0.0, 0, 20, floor=3)  # 3 each, the other 8 spread uniformly
    assert sorted(floor.values()) == [5, 5, 5, 5]
    low = split_counts(pairs, 0.0, 0, 20, floor=3, kind="shared-to-own")  # each object: 10 = 3 + 3 + 4 extra, extra on p
    assert low == {("p", "x"): 7, ("q", "x"): 3, ("p", "y"): 7, ("r", "y"): 3}
    high = split_counts(pairs, 1.0, 0, 20, floor=3, kind="shared-to-own")  # extra on each object's own attribute
    assert high == {("p", "x"): 3, ("q", "x"): 7, ("p", "y"): 3, ("r", "y"): 7}
    with pytest.raises(AobenchError, match="min_images_per_pair 6 x 4 pairs = 24"):
        split_counts(pairs, 0.5, 0, 20, floor=6, where="recipe t: splits.train")


def test_new_split_fields_at_defaults_keep_fingerprints():
    a = recipe.load("shapes-ao")
    explicit = [{**s.model_dump(mode="json"), "min_images_per_pair": 0, "dependence_kind": "mixture"} for s in a.splits]
    assert recipe.load("shapes-ao", {"splits": explicit}).fingerprint() == a.fingerprint()
    floored = [{**explicit[0], "min_images_per_pair": 5}, *explicit[1:]]
    assert recipe.load("shapes-ao", {"splits": floored}).fingerprint() != a.fingerprint()
    with pytest.raises(AobenchError, match="min_images_per_pair"):
        recipe.load("shapes-ao", {"splits": [{"name": "t", "pairs": "seen", "images_per_pair": 2, "min_images_per_pair": 1}]})


def test_seen_pairs_file_errors_name_line(tmp_path):
    p = tmp_path / "seen.jsonl"
    p.write_text('{"attribute": "red", "object": "car"}\nnot json\n')
    with pytest.raises(AobenchError, match=r"seen\.jsonl:2"):
        read_seen_pairs(p)
