"""Corpus evidence for pairs: built-in caption counts, hypernym matching, unchecked builds, the audit in pairs.jsonl."""

import json
import re
import subprocess
import sys

import pytest
import yaml

from conftest import REPO, run_cli
from aobench import recipe
from aobench.nmidir import Corpus, list_builtin, load_corpus
from aobench.errors import AobenchError
from aobench.pairs import choose_pairs, evidence_line, load_corpora, select_pairs, summarize
from aobench.text.counts import Counts
from aobench.vocab import load_hypernyms, load_objects, load_vocab


def _corpus(name, *pairs):
    c = Counts()
    for p in pairs:
        c.add_caption([p])
    return Corpus(name=name, ref=name, counts=c)


def test_imagenet_hypernym_map_known_answers():
    h = load_hypernyms("imagenet")
    dog = h.nouns["dog"]
    assert len(dog.classes) == 118 and "Labrador Retriever" in dog.classes and "puppy" in dog.synonyms
    assert "timber wolf" not in dog.classes  # a wolf is a canine, not a dog
    assert set(h.nouns["cat"].classes) == {"tabby cat", "tiger cat", "Persian cat", "Siamese cat", "Egyptian Mau"}
    assert "soccer ball" in h.nouns["ball"].classes and "punching bag" not in h.nouns["ball"].classes
    assert set(h.nouns["chicken"].classes) == {"rooster", "hen"}
    assert h.ancestors("tabby cat") == ("cat",) and h.ancestors("sports car") == ("car",) and h.ancestors("tench") == ("fish",)
    # a generic noun is never a class name: object names alone tell the level apart
    names = {w.lower() for o in load_objects("imagenet") for w in o.names}
    assert not names & {w for n in h for w in (n.name, *n.synonyms)}
    assert "WordNet" in h.source["licence"] and "is_a" in h.source["hierarchy"] and h.version == 1


def test_vocab_restricts_hypernyms_to_its_objects():
    r = recipe.load("imagenet-ao", {"vocab": {"max_objects": 10}})
    v = load_vocab(r.vocab)
    assert set(v.hypernyms.nouns) == {"fish", "shark", "chicken", "bird"}
    assert v.hypernyms.nouns["bird"].classes == ("rooster", "hen", "ostrich")


def test_generic_caption_noun_is_evidence_for_the_classes_beneath_it():
    coco = _corpus("capts", ("black", "dog"), ("black", "dog"), ("red", "labrador retriever"))
    r = recipe.load("imagenet-ao", {"vocab": {"max_objects": 300}, "pairs": {"attributes_per_object": None}})
    pairs = {p.key(): p for p in select_pairs(r, load_vocab(r.vocab), [coco])}
    black = pairs[("black", "Labrador Retriever")]
    assert (black.status, black.selected, black.level, black.via, black.counts) == ("seen", False, "hypernym", ["dog"], {"capts": 2})
    red = pairs[("red", "Labrador Retriever")]
    assert (red.status, red.level, red.via, red.corpus_count) == ("seen", "class", [], 1)
    assert pairs[("black", "tabby cat")].status == "unusual" and pairs[("black", "tabby cat")].counts == {"capts": 0}
    # class level: the generic noun says nothing about the breed
    rc = recipe.load("imagenet-ao", {"vocab": {"max_objects": 300}, "pairs": {"attributes_per_object": None, "match": "class"}})
    by_class = {p.key(): p for p in select_pairs(rc, load_vocab(rc.vocab), [coco])}
    assert by_class[("black", "Labrador Retriever")].status == "unusual" and by_class[("red", "Labrador Retriever")].status == "seen"


def test_sampled_build_keeps_excluded_seen_pairs_for_the_audit():
    corpus = _corpus("capts", ("white", "bird"))
    r = recipe.load("imagenet-ao", {"vocab": {"max_objects": 12}})
    sel = choose_pairs(r, load_vocab(r.vocab), [corpus])
    drawn = [p for p in sel.pairs if p.selected]
    excluded = [p for p in sel.pairs if not p.selected and p.status == "seen"]
    assert len(drawn) == 36 and {p.status for p in drawn} == {"unusual"}
    # the other unselected rows are unusual candidates flagged as default states, kept out by default
    assert all(p.flags and p.status == "unusual" for p in sel.pairs if not p.selected and p.status != "seen")
    # every bird class (7-11 in the first 12) lost "white"; each is listed with the noun that matched
    assert {p.object for p in excluded} == {"rooster", "hen", "ostrich", "brambling", "goldfinch"}
    assert all(p.attribute == "white" and p.status == "seen" and p.via == ["bird"] for p in excluded)
    s = summarize(r, sel.pairs, sel.n_candidates, sel.evidence.corpora)
    assert (s["excluded_as_seen"], s["seen_by_level"], s["kept"]) == (5, {"class": 0, "hypernym": 5}, 36)
    assert s["candidates"] == sel.n_candidates == s["enumerated"] - s["removed_by_rules"] and sel.n_candidates >= 900
    line = evidence_line(s)
    assert line.startswith("pairs: checked against capts at hypernym level") and "5 seen" in line


def test_no_corpus_means_unchecked_not_unusual():
    from aobench.generate.plan import plan

    r = recipe.load("imagenet-ao", {"vocab": {"max_objects": 2}, "pairs": {"counts": []}})
    sel = choose_pairs(r, load_vocab(r.vocab), load_corpora(r))
    assert {p.status for p in sel.pairs} == {"unchecked"} and all(p.evidence == [] for p in sel.pairs)
    line = evidence_line(summarize(r, sel.pairs, sel.n_candidates))
    assert "NO caption corpus" in line and "'unchecked'" in line
    items = plan(r, sel.pairs)  # the unusual split still builds, and its rows say what they are
    assert len(items) == 6 and {i.pair_status for i in items} == {"unchecked"}


def test_holdout_recipe_says_what_unusual_means():
    r = recipe.load("shapes-ao")
    sel = choose_pairs(r, load_vocab(r.vocab), load_corpora(r))
    assert all(p.evidence == ["holdout"] for p in sel.pairs)
    assert "held out of this build's training split" in evidence_line(summarize(r, sel.pairs, sel.n_candidates))


def test_hypernym_match_needs_a_hypernym_map():
    r = recipe.load("imagenet-ao", {"vocab": {"hypernyms": None, "max_objects": 1}})
    with pytest.raises(AobenchError, match=r"pairs\.match: hypernym needs vocab\.hypernyms"):
        select_pairs(r, load_vocab(r.vocab))


def test_builtin_coco_counts_ship_with_their_source():
    c = load_corpus("builtin:coco-captions")
    assert c.name == "coco-captions" and c.info["n_captions"] == c.counts.n_captions == 25014
    assert "CC BY 4.0" in c.info["licence"] and "Lin et al. 2014" in c.info["attribution"]
    assert "scripts/make_corpus_counts.py coco-captions" in c.info["command"] and c.info["versions"]["parse_py_sha256"]
    assert c.counts.n_events > 1000 and c.pair_count("red", "umbrella") > 0
    assert c.pair_count("black", "dog") > 0  # generic nouns counted at the level the caption used
    assert "coco-captions" in list_builtin()
    # made with today's vocabulary: every attribute is a VAW attribute, every object a class or a generic noun
    v = load_vocab(recipe.load("imagenet-ao").vocab)
    objects = {o.name.lower() for o in v.objects} | set(v.hypernyms.nouns)
    assert {a for a, _ in c.counts.pairs} <= {a.name for a in v.attributes} and {o for _, o in c.counts.pairs} <= objects
    with pytest.raises(AobenchError, match=r"unknown built-in corpus 'builtin:laion'.*builtin:coco-captions"):
        load_corpus("builtin:laion")
    for name in ("imagenet-ao", "imagenet-ao-v1"):
        r = recipe.load(name)
        assert r.pairs.counts == [f"builtin:{n}" for n in BUILTINS] and r.pairs.match == "hypernym" and r.vocab.hypernyms == "imagenet"


BUILTINS = ("coco-captions", "cc-val", "laion-10k", "vg-attributes")


@pytest.mark.parametrize("name", BUILTINS)
def test_builtin_counts_record_the_extraction_rules_that_made_them(name):
    """source.yaml names the parse.py the shipped counts came from: a change to the rules must rerun its `command`."""
    from aobench.io import sha256_file

    info = load_corpus(f"builtin:{name}").info  # the corpus format's own reader, as the tests beside this one use
    assert info["versions"]["parse_py_sha256"] == sha256_file(REPO / "aobench" / "text" / "parse.py"), (
        f"aobench/corpora/{name} was counted with another aobench/text/parse.py: rerun {info['command']!r}"
    )


@pytest.mark.parametrize(
    "name, n_captions, licence, pair",
    [
        ("cc-val", 15833, "freely used for any purpose", ("wooden", "table")),
        ("laion-10k", 10000, "CC BY 4.0", ("white", "dress")),
        ("vg-attributes", 17431, "CC BY 4.0", ("white", "plate")),
    ],
)
def test_more_builtin_corpora_ship_with_their_source(name, n_captions, licence, pair):
    """CC val and a LAION sample (web alt-text) and VG attribute phrases: derived counts only, with where they came from."""
    c = load_corpus(f"builtin:{name}")
    assert c.info["n_captions"] == c.counts.n_captions == n_captions and licence in c.info["licence"]
    assert c.info["command"].startswith(f"python scripts/make_corpus_counts.py {name} ") and c.info["versions"]["parse_py_sha256"]
    assert c.pair_count(*pair) > 0
    src = yaml.safe_load((REPO / "aobench" / "corpora" / name / "source.yaml").read_text())
    assert len(src["copy"]["commit"]) == 40 and src["copy"]["repo"].startswith("github.com/") and len(src["input_sha256"]) >= 1
    folder = REPO / "aobench" / "corpora" / name
    assert sorted(p.name for p in folder.iterdir()) == ["counts.json", "nmi.json", "source.yaml"]  # never the captions
    # shipped as package data: the pyproject globs cover every file of the folder
    import tomllib

    globs = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["aobench"]
    assert all(any(p.relative_to(REPO / "aobench").match(g) for g in globs) for p in folder.iterdir())
    # the same vocabulary as the recipe that checks them: attributes of VAW, objects classes or generic nouns
    v = load_vocab(recipe.load("imagenet-ao").vocab)
    objects = {o.name.lower() for o in v.objects} | set(v.hypernyms.nouns)
    assert {a for a, _ in c.counts.pairs} <= {a.name for a in v.attributes} and {o for _, o in c.counts.pairs} <= objects


def test_recipes_command_names_the_corpus():
    r = run_cli("recipes")
    assert r.returncode == 0, r.stderr
    assert "coco-captions" in r.stdout and "25,014" in r.stdout and "CC BY 4.0" in r.stdout and "Lin et al." in r.stdout
    assert "held out" in r.stdout  # shapes-ao checks no corpus, and says what its unusual means


def test_readme_user_corpus_from_parquet_metadata(tmp_path, monkeypatch):
    """The README's commands: counts from parquet metadata, listed in a recipe beside the built-in corpus."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    readme = (REPO / "README.md").read_text()
    command = next(line.strip() for line in readme.splitlines() if line.strip().startswith("aobench nmi meta/*.parquet"))
    snippet = re.search(r"```yaml\n(include: imagenet-ao\n.*?)```", readme, re.S).group(1)
    (tmp_path / "meta").mkdir()
    caps = ["a purple labrador retriever sitting on a bench", "A purple Labrador Retriever.", "A purple dog.", None]
    pq.write_table(pa.table({"url": [f"http://x/{i}.jpg" for i in range(4)], "caption": caps}), tmp_path / "meta" / "part-00000.parquet")
    done = subprocess.run(["bash", "-c", command.replace("aobench ", f"{sys.executable} -m aobench.cli ", 1)], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "counts" / "laion" / "nmi.json").read_text())["n_skipped"] == 1  # the null caption
    (tmp_path / "my-recipe.yaml").write_text(snippet)
    monkeypatch.chdir(REPO)  # the recipe's relative path resolves against the recipe's folder, not here
    r = recipe.load(tmp_path / "my-recipe.yaml", {"vocab": {"max_objects": 300}, "pairs": {"attributes_per_object": None}})
    pairs = {p.key(): p for p in select_pairs(r, load_vocab(r.vocab), load_corpora(r))}
    p = pairs[("purple", "Labrador Retriever")]
    assert p.status == "seen" and p.evidence == ["coco-captions", "cc-val", "laion-10k", "vg-attributes", "laion"] and p.counts["laion"] == 3  # 2 by name + 1 "dog"
    assert p.level == "class" and p.via == ["dog"]
    beagle = pairs[("purple", "Beagle")]
    assert beagle.status == "seen" and beagle.counts["laion"] == 1 and beagle.level == "hypernym"
    assert pairs[("purple", "tabby cat")].counts["laion"] == 0


def test_cards_state_the_evidence(tmp_path):
    from aobench.dataset.card import render_card

    r = recipe.load("imagenet-ao", {"vocab": {"max_objects": 12}})
    pairs = select_pairs(r, load_vocab(r.vocab), load_corpora(r))
    card = render_card(r, [], pairs, {"backend": "diffusers"}, {})
    assert "## Corpus evidence" in card and "`coco-captions`" in card and "25,014 captions" in card
    assert "CC BY 4.0" in card and "Lin et al. 2014" in card and "**hypernym** level" in card
    unchecked = recipe.load("imagenet-ao", {"vocab": {"max_objects": 2}, "pairs": {"counts": []}})
    card = render_card(unchecked, [], select_pairs(unchecked, load_vocab(unchecked.vocab)), {"backend": "diffusers"}, {})
    assert "**Unchecked.** No caption corpus was consulted, so the 6 pairs are marked `unchecked`" in card


@pytest.mark.slow
def test_coco_counts_script_reproduces_aobench_nmi(tmp_path):
    from aobench.text.engine import count_corpora

    caps = ["A black dog on a red couch.", "a striped tench in a glass bowl", "Two people walking."]
    coco = {"info": {}, "annotations": [{"image_id": 1, "id": 9 - i, "caption": c} for i, c in enumerate(caps)]}
    (tmp_path / "captions_val2017.json").write_text(json.dumps(coco))
    out = tmp_path / "coco-captions"
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "make_corpus_counts.py"), "coco-captions", str(tmp_path / "captions_val2017.json"), "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    (tmp_path / "c.txt").write_text("\n".join(reversed(caps)) + "\n")  # annotation-id order
    expected, _ = count_corpora([str(tmp_path / "c.txt")], "imagenet-ao")
    assert json.loads((out / "counts.json").read_text()) == expected.to_dict()
    src = yaml.safe_load((out / "source.yaml").read_text())
    assert src["n_captions"] == 3 and src["licence"].startswith("CC BY 4.0") and src["versions"]["parse_py_sha256"]
    assert load_corpus(out).info["attribution"].startswith("Lin et al. 2014")


@pytest.mark.slow
def test_default_imagenet_build_records_corpus_seen_pairs(tmp_path):
    out = tmp_path / "b"
    r = run_cli("build", "imagenet-ao", "--tiny", "--limit", "8", "--out", out)
    assert r.returncode == 0, r.stderr
    assert ("pairs: checked against coco-captions (25,014 captions), cc-val (15,833 captions), laion-10k (10,000 captions), "
            "vg-attributes (17,431 captions) at hypernym level") in r.stderr
    rows = [json.loads(line) for line in (out / "pairs.jsonl").read_text().splitlines()]
    seen = [p for p in rows if p["status"] == "seen"]
    assert seen and all(not p["selected"] and sum(p["counts"].values()) >= 1 and p["level"] in ("class", "hypernym") for p in seen)
    assert any(p["level"] == "hypernym" and "dog" in p["via"] for p in seen)
    assert {c for p in seen for c, n in p["counts"].items() if n} == set(BUILTINS)  # every corpus excluded some pair
    assert all(p["status"] == "unusual" and p["counts"] == dict.fromkeys(BUILTINS, 0) and not p["flags"] for p in rows if p["selected"])
    flagged = [p for p in rows if p["flags"]]  # default states are listed, never drawn
    assert flagged and all(not p["selected"] for p in flagged)
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    drawn = {(p["attribute"], p["object"]) for p in rows if p["selected"]}
    assert manifest and all((m["attribute"], m["object"]) in drawn and m["pair_status"] == "unusual" for m in manifest)
    card = (out / "README.md").read_text()
    assert "`coco-captions`: COCO 2017 val captions" in card and f"| {sum(1 for p in rows if p['selected'])} |" in card
    assert "`cc-val`: Conceptual Captions" in card and "`laion-10k`" in card and "`vg-attributes`" in card
    assert "## Pair rules" in card and "| `stated-in-class-name` |" in card and "| `default-clean-dry` |" in card
