"""The exact extraction pre-filter (aobench.text.prefilter): it only skips captions the parse finds nothing in."""

import pytest

from aobench.text.parse import Extractor, _lemma, vocab_for
from aobench.vocab import Attribute, ObjectClass, Vocab
from conftest import EVERYDAY, LABELLED, OPEN_LABELLED


def _run(ex, caps):
    return list(ex.extract_all(caps))


@pytest.fixture(scope="module")
def pair(request):
    """(filtered, unfiltered) Extractors of the imagenet-ao vocab, hypernyms included."""
    ex = Extractor(vocab_for("imagenet-ao"))
    return ex, Extractor(ex.vocab, nlp=ex.nlp, prefilter=False)


def test_same_pairs_and_negations_with_and_without_the_prefilter(pair):
    ex, unfiltered = pair
    caps = [c for c, _ in LABELLED] + [c for c, _ in OPEN_LABELLED] + EVERYDAY
    got, want = _run(ex, caps), _run(unfiltered, caps)
    assert got == want
    assert sum(len(p) + len(n) for p, n in want) > 40 and any(n for _, n in want)  # the captions do hold pairs and negations
    skipped = [c for c in caps if not ex.may_match(c)]
    assert 5 <= len(skipped) < len(caps)  # the pre-filter does skip some (no vocab attribute, or no vocab object)
    assert all(not p and not n for c, (p, n) in zip(caps, want) if c in skipped)


def test_same_object_mentions_with_and_without_the_prefilter(pair):
    ex, unfiltered = pair
    caps = [c for c, _ in LABELLED] + EVERYDAY
    got = [ex.object_mentions(d) if d is not None else [] for d, _ in ex.parse(caps, objects_only=True)]
    want = [unfiltered.object_mentions(d) for d, _ in unfiltered.parse(caps, objects_only=True)]
    assert got == want and sum(map(len, want)) > 20


def test_every_lemma_the_pipeline_picks_is_among_the_prefilters(pair):
    ex, _ = pair
    pf = ex.prefilter
    for doc in ex.nlp.pipe([c for c, _ in LABELLED] + EVERYDAY):
        for tok in doc:
            assert {tok.lower_, _lemma(tok)} <= pf.lemmas(tok.lower_) | pf._any, (doc.text, tok.text, tok.lemma_)


def test_irregular_forms_pass_the_prefilter(pair):
    # "geese" → goose, "best" → good, "worst" → bad, "mice" → mouse: no suffix stripping finds them; the lemmatizer's tables do
    nlp = pair[0].nlp
    vocab = Vocab(
        objects=[ObjectClass(n) for n in ("goose", "mouse", "knife", "wolf", "child")],
        attributes=[Attribute("good", "quality"), Attribute("bad", "quality"), Attribute("furry", "texture")],
    )
    ex, unfiltered = Extractor(vocab, nlp=nlp), Extractor(vocab, nlp=nlp, prefilter=False)
    caps = ["two furry mice", "the best knives", "the worst geese", "wolves that are furry", "the children look good", "a red car"]
    want = [[("furry", "mouse")], [("good", "knife")], [("bad", "goose")], [("furry", "wolf")], [("good", "child")], []]
    assert [p for p, _ in _run(unfiltered, caps)] == want
    assert [p for p, _ in _run(ex, caps)] == want
    assert [ex.may_match(c) for c in caps] == [True] * 5 + [False]


def test_open_vocabulary_has_no_prefilter(pair):
    ex = Extractor(None, nlp=pair[0].nlp, prefilter=True)
    assert ex.prefilter is None and ex.may_match("a man on a bike")
