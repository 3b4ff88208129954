"""Memoised attribute ruler and lemmatizer (aobench.text.memo): the same annotations as the pipeline as shipped."""

import spacy

from aobench.text.memo import MemoAttributeRuler, memoise
from aobench.text.parse import load_nlp, model_name
from conftest import EVERYDAY, LABELLED, OPEN_LABELLED

# words of multi-token patterns ("gon na", "ai n't", "let 's") and tags/deps the tag map treats apart
SPECIAL = ["I'm gonna paint the red car", "it ain't blue", "let's see the striped tiger", "Gotta love this old bus", "he's not here", "  two   spaces ", "A VERY LOUD RED TRUCK!"]


def _sig(doc):
    return [(t.text, t.pos_, str(t.morph), t.lemma_, t.tag_, t.dep_, t.head.i) for t in doc]


def test_memoised_pipeline_annotates_exactly_as_shipped():
    fast = load_nlp()
    assert isinstance(fast.get_pipe("attribute_ruler"), MemoAttributeRuler) and type(fast.get_pipe("lemmatizer")).__name__.startswith("Memo")
    stock = spacy.load(model_name(), exclude=["ner", "senter"])
    caps = [c for c, _ in LABELLED] + [c for c, _ in OPEN_LABELLED] + EVERYDAY + SPECIAL
    want = [_sig(d) for d in stock.pipe(caps)]
    assert [_sig(d) for d in fast.pipe(caps)] == want  # memo filling
    assert [_sig(d) for d in fast.pipe(caps)] == want  # memo hits
    assert [_sig(fast(c)) for c in SPECIAL] == want[-len(SPECIAL):]
    assert fast.get_pipe("attribute_ruler")._memo and fast.get_pipe("lemmatizer")._lemma_memo
    assert memoise(fast) == []  # already memoised: nothing swapped twice
