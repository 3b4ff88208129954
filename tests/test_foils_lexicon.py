"""The foil lexicon and its data: contradicting attributes, near-synonyms, display names, noun kinds, the prior."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from aobench.errors import AobenchError
from aobench.foils.lexicon import FoilLexicon, display_name
from aobench.foils.prior import PlausibilityPrior
from aobench.vocab import ObjectClass, load_attributes
from aobench.vocab.lexicon import load_caption_nouns, load_scales

# an independent, hand-written list (not read from attribute_scales.yaml): words on one scale the README promises
# a replacement never swaps for one another
SAME_SCALE = [
    {"large", "big", "huge", "enormous", "giant"},
    {"small", "little", "tiny", "miniature"},
    {"yellow", "golden", "gold"},
    {"gray", "grey", "silver"},
    {"red", "crimson", "scarlet", "maroon"},
    {"purple", "violet", "lavender"},
    {"blue", "navy"},
    {"turquoise", "teal", "cyan", "aqua"},
    {"brown", "tan", "beige"},
    {"wooden", "wood", "bamboo", "wicker"},
    {"metal", "metallic", "steel"},
    {"ceramic", "porcelain"},
    {"checkered", "checked", "plaid", "tartan"},
    {"spotted", "dotted", "polka-dot"},
    {"round", "circular", "oval"},
    {"fluffy", "furry", "fuzzy"},
    {"broken", "cracked", "shattered"},
    {"thin", "skinny", "narrow"},
]


@pytest.fixture(scope="module")
def vaw():
    return FoilLexicon(None)  # open vocabulary: the VAW attribute list types the adjectives


def test_replacements_contradict_known_answers(vaw):
    assert vaw.contradicts("red", "blue") and vaw.contradicts("small", "huge") and vaw.contradicts("wet", "dry")
    assert not vaw.contradicts("large", "huge") and not vaw.contradicts("yellow", "golden") and not vaw.contradicts("gray", "silver")
    # graded types: only an opposite contradicts ("tall" and "wide" can both be true, so can "wet" and "broken")
    assert not vaw.contradicts("tall", "wide") and not vaw.contradicts("wet", "broken") and vaw.contradicts("tall", "short")
    assert not vaw.contradicts("red", "wooden")  # another type is never a replacement
    assert set(vaw.replace_att_pool("small")) == {"large", "huge", "giant"}
    assert vaw.replace_att_pool("sleeping") == []  # a state with no listed opposite is not replaced
    assert vaw.canon_attr("grey") == "gray" and vaw.canon_attr("young") == ""  # untyped: never replaced


def test_no_replacement_is_a_synonym_or_on_the_same_scale(vaw):
    canon = {w: vaw.canon_attr(w) for group in SAME_SCALE for w in group if vaw.canon_attr(w)}
    for group in SAME_SCALE:
        names = {canon[w] for w in group if w in canon}
        for a in names:
            assert not names & set(vaw.replace_att_pool(a)), (a, names & set(vaw.replace_att_pool(a)))
    for a in vaw.all_attributes:  # a synonym maps to its entry, so the entry itself is never its own replacement
        assert a not in vaw.replace_att_pool(a)


def test_display_names_carry_no_class_name_artefact():
    assert display_name(ObjectClass("kite (bird of prey)", ("kite",))) == "kite"
    assert display_name(ObjectClass("bell or wind chime", ("chime",))) == "chime"
    assert display_name(ObjectClass("baluster / handrail", ("bannister",))) == "bannister"
    assert display_name(ObjectClass("vaulted or arched ceiling", ("vault",))) == "vault"
    assert display_name(ObjectClass("red wolf or maned wolf", ("red wolf",))) == "red wolf"
    from aobench.text.parse import vocab_for

    vocab = vocab_for("imagenet-ao")
    for o in vocab.objects:
        d = display_name(o)
        assert d and "/" not in d and " or " not in f" {d} " and "(" not in d, (o.name, d)


def test_every_generic_noun_of_the_hypernym_map_has_a_kind():
    from aobench.vocab import load_hypernyms

    nouns = load_caption_nouns()
    missing = [h.name for h in load_hypernyms("imagenet") if not nouns.kind(h.name)]
    assert missing == []


def test_nouns_by_pool_and_level(vaw):
    from aobench.text.parse import vocab_for

    lex = FoilLexicon(vocab_for("imagenet-ao"))
    # generic nouns trade within their kind, never for a near-synonym or a word of the same entry
    assert "cat" in lex.replace_obj_pool("dog") and "puppy" not in lex.replace_obj_pool("dog")
    assert "truck" in lex.replace_obj_pool("car") and "van" not in lex.replace_obj_pool("car")
    assert "ship" not in lex.replace_obj_pool("boat") and "motorcycle" not in lex.replace_obj_pool("boat")
    # a class trades for a class under the same hypernym ("a Labrador" → "a Beagle"), never a generic noun
    lab = lex.replace_obj_pool("labrador retriever")
    assert "beagle" in lab and "dog" not in lab and "tabby cat" not in lab
    # ImageNet's catch-all "artifact" group is no pool: such a class is not replaced
    assert lex.noun("parachute").pool == "" and lex.replace_obj_pool("parachute") == []
    assert lex.obj_word("kite (bird of prey)") == "kite"
    # open vocabulary: compounds are nouns of their head's kind; words of an entry map to it
    assert vaw.noun("school bus").kind == "vehicle" and "truck" in vaw.replace_obj_pool("school bus")
    assert vaw.noun("puppy").kind == "pet" and vaw.noun("child").pool == ""  # too general to contradict


def test_caption_noun_data_refuses_a_word_listed_twice(tmp_path):
    bad = tmp_path / "nouns.yaml"
    bad.write_text("kinds:\n  pet: [dog, {cat: [kitty]}]\n  wild: [kitty]\n")
    with pytest.raises(AobenchError, match="'kitty' is listed twice"):
        load_caption_nouns(str(bad))
    bad.write_text("kinds:\n  pet: [dog]\nnear_synonyms:\n  - [dog, wolf]\n")
    with pytest.raises(AobenchError, match="names 'wolf', which is not an entry"):
        load_caption_nouns(str(bad))
    scales = tmp_path / "scales.yaml"
    scales.write_text(json.dumps({"exclusive": ["colour"], "near_synonyms": [["red", "crimson"]], "opposites": [[["wet"], ["dry"]]]}))
    s = load_scales(str(scales))
    assert s.contradicts("red", "blue", "colour") and not s.contradicts("red", "crimson", "colour") and s.contradicts("wet", "dry", "state")


def test_prior_rejects_only_what_the_reference_never_says_of_a_well_described_kind():
    kinds = {"dog": "pet", "cat": "pet", "lizard": "animal", "shirt": "garment"}
    table = Counter({("black", "dog"): 150, ("white", "dog"): 60, ("purple", "cat"): 2, ("white", "cat"): 10, ("green", "lizard"): 3,
                     ("chocolate", "cat"): 1})  # fmt: skip
    prior = PlausibilityPrior([table], lambda o: kinds.get(o, ""), min_events=50)
    assert prior.ok("white", "dog")
    assert not prior.ok("purple", "dog")  # 210 pairs of dogs (>= 4 x 50), never purple
    assert prior.ok("purple", "cat") and prior.ok("black", "cat")  # the pet kind has >= 50 pairs, black among them
    assert not prior.ok("turquoise", "cat")  # no pet is ever turquoise
    assert not prior.ok("chocolate", "cat") and not prior.ok("chocolate", "dog")  # once is no evidence: a parse error as often as not
    assert prior.ok("turquoise", "lizard") and prior.ok("wooden", "shirt") and prior.ok("wooden", "zeppelin")  # too little evidence
    # an added attribute must have been said (twice) of the object or its kind
    assert prior.attested("purple", "cat") and not prior.attested("purple", "lizard") and not prior.attested("green", "shirt")
    # leaving a caption out: its own pairs no longer vouch for its foils
    prior.hold([("purple", "cat"), ("purple", "cat")])
    assert not prior.attested("purple", "cat") and not prior.ok("purple", "cat")
    prior.hold([])
    assert prior.ok("purple", "cat")


def test_prior_reads_a_handful_among_thousands_as_parse_noise():
    table = Counter({("brown", "dog"): 1000, ("black", "dog"): 600, ("blue", "dog"): 4, ("golden", "dog"): 40})
    prior = PlausibilityPrior([table], lambda o: "pet", min_events=50)
    # 0.5% of 1,644 dog pairs is 8.2: golden (40) is said of dogs, blue (4, e.g. "a dog in a blue collar") is not
    assert prior.ok("golden", "dog") and prior.attested("golden", "dog")
    assert not prior.ok("blue", "dog") and not prior.attested("blue", "dog")
    # brown is said of dogs in 61% of their pairs: adding it is most likely true of the image, so add_att does not
    assert prior.typical("brown", "dog") and not prior.addable("brown", "dog") and prior.addable("golden", "dog")
