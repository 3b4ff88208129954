"""Pairs that make sense: no attribute the class name contradicts, applicability from corpus counts, default-state flags."""

import re

import pytest

from aobench import recipe
from aobench.errors import AobenchError
from aobench.generate.plan import plan
from aobench.nmidir import NmiDir
from aobench.pairs import candidates, choose_pairs, load_corpora, read_pairs, summarize, write_pairs
from aobench.text.counts import Counts
from aobench.vocab import load_objects, load_rules, load_vocab


@pytest.fixture(scope="module")
def imagenet():
    """The default imagenet-ao vocabulary and its candidate pairs (names) with the census."""
    r = recipe.load("imagenet-ao")
    v = load_vocab(r.vocab)
    cand, census = candidates(v)
    return r, v, {(a.name, o.name) for a, o in cand}, census


def test_issue_contradictions_are_gone(imagenet):
    _, v, cand, census = imagenet
    # the five of the issue, and the pairs they stand for
    names = {o.name for o in v.objects}
    for pair in [("pink", "grey fox"), ("turquoise", "brown bear"), ("beige", "black swan"), ("orange", "red king crab"), ("golden", "silver salmon")]:
        assert pair[1] in names and pair not in cand, pair
    assert ("black", "black swan") not in cand and ("plastic", "wooden spoon") not in cand and ("striped", "spotted salamander") not in cand
    assert ("silk", "wool") not in cand  # a one-word material name states its material
    # what the rule leaves: other types, classes without a stated colour, a colour word that is the noun, another sense
    assert ("wooden", "grey fox") in cand and ("pink", "Labrador Retriever") in cand and ("blue", "orange") in cand
    assert ("metal", "cottontail rabbit") in cand  # "wood rabbit": the woods, not the material
    assert census.removed["stated-in-class-name"] > 1000


def test_default_pair_set_has_no_colour_material_or_pattern_contradiction(imagenet):
    _, v, cand, _ = imagenet
    words = {t: {w for w, a in v.attribute_by_word.items() if a.type == t} for t in ("colour", "material", "pattern")}
    objects = {o.name: o for o in v.objects}
    bad = []
    for a, o in cand:
        t = v.attribute(a).type
        if t not in words:
            continue
        for name in objects[o].names:
            modifiers = [w for w in re.split(r"[\s\-/,]+", name.lower()) if w][:-1]
            if o != "cottontail rabbit" and set(modifiers) & words[t]:
                bad.append((a, o, name))
    assert not bad, bad[:10]


def test_applicability_grounded_in_the_shipped_counts(imagenet):
    _, v, cand, census = imagenet
    rule = next(r for r in v.rules if r.id == "applicable-in-corpora")
    groups = rule.table()["groups"]
    assert groups["food"]["attributes"]["peeled"] >= 3 and groups["artifact"]["attributes"]["peeled"] < 3
    objects = {o.name: o for o in v.objects}
    assert {objects[o].group for a, o in cand if a == "peeled"} == {"food"}  # "peeled bobsleigh" is ill-posed
    assert ("peeled", "bobsleigh") not in cand and ("grainy", "black swan") not in cand
    assert ("turquoise", "Beagle") in cand and ("sliced", "banana") in cand  # a colour any animal can carry; a food state
    assert groups["person"]["events"] < rule.min_group_events  # too little evidence: not judged
    assert ("striped", "scuba diver") in cand
    assert 0 < census.removed["applicable-in-corpora"] < census.enumerated / 2


def test_applicability_known_answer_on_a_small_corpus(tmp_path):
    c = Counts()
    for caption in [[("sliced", "banana")]] * 3 + [[("red", "banana")]] * 20 + [[("red", "tabby cat")]] * 25 + [[("sliced", "tabby cat")]]:
        c.add_caption(caption)
    (tmp_path / "nmi").mkdir()
    NmiDir(tmp_path / "nmi").write_counts(c)
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - id: app\n    applicable: {corpora: [nmi], hypernyms: null}\n")  # relative to the rules file
    r = recipe.load("imagenet-ao", {"vocab": {"compatibility": str(rules)}})
    v = load_vocab(r.vocab)
    ok = lambda a, o: v.compatible(v.attribute(a), v.object(o))  # noqa: E731
    assert ok("sliced", "banana") and ok("red", "banana") and ok("blue", "banana")  # colour: the food group bears the type
    assert not ok("sliced", "tabby cat")  # one event is below min_attribute_events (3)
    assert not ok("wooden", "banana")  # no material event for food at all
    assert ok("blue", "tabby cat") and not ok("smooth", "tabby cat")
    assert ok("wooden", "bobsleigh")  # artifacts: no events, not judged


def test_default_states_flagged_and_kept_out_of_unusual_splits(tmp_path):
    r = recipe.load("imagenet-ao")
    v = load_vocab(r.vocab)
    flags = lambda a, o: v.flags(v.attribute(a), v.object(o))  # noqa: E731
    assert flags("clean", "monastery") == ["default-clean-dry"] and flags("hard", "planetarium") == ["default-hard-artifact"]
    assert flags("tiny", "Sealyham Terrier") == ["typical-size-small"] and flags("small", "microphone") == ["typical-size-small"]
    assert flags("huge", "parachute") == ["typical-size-large"] and flags("tiny", "parachute") == []
    assert flags("huge", "Sealyham Terrier") == [] and flags("red", "monastery") == []
    sel = choose_pairs(r, v, load_corpora(r))
    flagged = [p for p in sel.pairs if p.flags and p.status == "unusual"]
    assert flagged and not any(p.selected for p in flagged)
    assert not any(p.flags for p in sel.pairs if p.selected)
    s = summarize(r, sel.pairs, sel.n_candidates, sel.evidence.corpora, sel.census)
    assert s["flagged_excluded"] == len(flagged) and s["flagged_policy"] == "exclude"
    rules = {x["id"]: x for x in s["rules"]}
    assert rules["default-clean-dry"]["action"] == "flagged" and rules["default-clean-dry"]["n"] > 0
    assert rules["stated-in-class-name"]["action"] == "removed" and rules["stated-in-class-name"]["n"] == sel.census.removed["stated-in-class-name"]
    write_pairs(tmp_path / "pairs.jsonl", sel.pairs)  # flags round-trip through pairs.jsonl
    assert [p.flags for p in read_pairs(tmp_path / "pairs.jsonl")] == [p.flags for p in sel.pairs]
    # the recipe option: flagged pairs are drawn like the rest, their flags still recorded
    keep = recipe.load("imagenet-ao", {"vocab": {"max_objects": 400}, "pairs": {"flagged": "keep", "attributes_per_object": None}})
    kept = choose_pairs(keep, load_vocab(keep.vocab), load_corpora(keep))
    drawn = [p for p in kept.pairs if p.selected and p.flags]
    assert drawn and {"typical-size-small"} <= {f for p in drawn for f in p.flags}
    items = plan(keep, kept.pairs)
    assert {(i.attribute, i.object) for i in items} >= {p.key() for p in drawn}


def test_flag_rule_classes_exist():
    names = {o.name for o in load_objects("imagenet")}
    for rule in load_rules("compatibility_v2"):
        assert set(getattr(rule, "classes", ())) <= names, rule.id


def test_v1_recipe_keeps_its_rules():
    v1 = recipe.load("imagenet-ao-v1")
    assert [r.id for r in load_vocab(v1.vocab).rules] == [r.id for r in load_rules("compatibility")]


@pytest.mark.parametrize(
    "text, message",
    [
        ("rules:\n  - {id: x, allow: {}}\n", r"rules\.yaml: rules\[0\]: a rule needs exactly one of deny, deny_stated, applicable, flag"),
        ("rules:\n  - {id: x, deny: {}}\n  - {id: x, deny: {}}\n", r"duplicate rule id\(s\) x"),
        ("rules:\n  - {id: s, deny_stated: {}}\n", r"rules\[0\]: malformed deny_stated rule 's'"),
        ("include: rules.yaml\nrules: []\n", r"include cycle"),
    ],
)
def test_bad_rules_files_say_where(tmp_path, text, message):
    f = tmp_path / "rules.yaml"
    f.write_text(text)
    with pytest.raises(AobenchError, match=message):
        load_rules(str(f))
