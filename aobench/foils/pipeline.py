"""`aobench foils`: read INPUT (a build dir or a captions file), make foils, write JSONL, audit them (FOILS.audit.json)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Iterable, Iterator, Optional

from aobench.artifacts import BuildDir
from aobench.errors import AobenchError
from aobench.foils.make import FoilMaker, parse_types
from aobench.io import atomic_write_json, atomic_write_jsonl, writable_file
from aobench.locks import holding
from aobench.paths import is_hub_id
from aobench.progress import make_progress
from aobench.prompts import render

DEFAULT_VOCAB = "imagenet-ao"
DEFAULT_BLIND_CLIP = "aobench-vit-s-64"  # the NMI study's small CLIP: a real architecture, cheap on CPU
N_EXAMPLES = 5


def is_build_dir(path: Path) -> bool:
    """A finished `aobench build` output (manifest and lock file)."""
    bd = BuildDir(path)
    return bd.manifest_path.is_file() and bd.lock_path.is_file()


def _build_vocab_and_templates(bd: BuildDir):
    from aobench.vocab import load_vocab

    return load_vocab(bd.lock.vocab), list(bd.lock.prompts)


def _template_of(row: dict, templates: list[str]) -> str:
    for t in templates:
        if render(t, row["attribute"], row["object"], row.get("attribute_type", "")) == row.get("prompt"):
            return t
    return templates[0]


def _foils_of_build(root: Path, types, seed: int, per_type: int, splits: Optional[list[str]], summary: dict) -> Iterator[dict]:
    bd = BuildDir(root)
    vocab, templates = _build_vocab_and_templates(bd)
    maker = FoilMaker(vocab, seed=seed, per_type=per_type)
    rows = [r for r in bd.manifest() if r.get("filters", "kept") == "kept" and (not splits or r.get("split") in splits)]
    if splits and not rows:
        raise AobenchError(f"{root}: no kept rows in split(s) {', '.join(splits)}")
    summary["reference"] = []
    with make_progress("captions") as bar:
        task = bar.add_task("foils", total=len(rows))
        for r in rows:
            summary["n_captions"] += 1
            caption = r.get("prompt") or render(templates[0], r["attribute"], r["object"], r.get("attribute_type", ""))
            summary["reference"].append(caption)
            summary["corpus_pairs"].append([(r["attribute"].lower(), r["object"].lower())] if r.get("split") == "train" or not summary["has_train"] else [])
            summary["n_with_pairs"] += 1
            foils = maker.from_pair(str(r["id"]), caption, r["attribute"], r["object"], _template_of(r, templates), types)
            if not foils:
                summary["n_no_foil"] += 1
                if len(summary["no_foil_examples"]) < N_EXAMPLES:
                    summary["no_foil_examples"].append(caption)
            yield from (f.row() for f in foils)
            bar.advance(task)


def _foils_of_captions(path: Path, types, seed: int, per_type: int, vocab_ref: str, text_column: Optional[str], make_prior, summary: dict) -> Iterator[dict]:
    """Parse every caption, then foil those with pairs (the prior needs the whole input's counts first: parses of the
    captions with pairs stay in memory meanwhile, a few KB each)."""
    import numpy as np

    from aobench.foils.lexicon import FoilLexicon
    from aobench.text.corpus import iter_records
    from aobench.text.counts import Counts
    from aobench.text.parse import Extractor, vocab_for

    vocab = vocab_for(vocab_ref)  # None for `none`: open vocabulary, attributes typed by the VAW list
    # the vocab's classes and its hypernym map's generic nouns ("dog", "car"), as `aobench extract` matches them;
    # `parse` gives asserted pairs only, so a negated mention ("the umbrella is not blue") never starts a foil
    extractor = Extractor(vocab)
    lexicon = FoilLexicon(vocab)
    own = Counts()
    parsed = []  # (id, text, doc, matches) of each caption with pairs; docs without their tok2vec tensor are a few KB
    records = []

    def texts() -> Iterator[str]:
        for rec in iter_records(path, text_column=text_column):
            if rec.skip:
                summary["skipped_records"][rec.skip] += 1
                continue
            records.append(rec)
            yield rec.text

    with make_progress("captions") as bar:
        task = bar.add_task("parse", total=None)
        # one parse per caption; every foil type is made from it once the whole input's counts are known
        for k, (doc, matches) in enumerate(extractor.parse(texts())):
            rec = records[k]
            records[k] = None  # the list only bridges the generator to the parse; free it as we go
            summary["n_captions"] += 1
            bar.advance(task)
            if not matches:
                summary["n_no_pair"] += 1
                if len(summary["no_pair_examples"]) < N_EXAMPLES:
                    summary["no_pair_examples"].append(rec.text)
                continue
            matches = lexicon.resolve(doc, matches)
            pairs = [(m.attribute, m.object) for m in matches]
            summary["n_with_pairs"] += 1
            summary["reference"].append(rec.text)
            summary["corpus_pairs"].append(pairs)
            own.add_caption(pairs)
            doc.tensor = np.zeros((0,), dtype="float32")  # the rules read tags, heads and lemmas, never the tensor
            parsed.append((rec.id, rec.text, doc, matches))
    # the prior reads the input's own captions too, each caption left out while its foils are made
    maker = FoilMaker(lexicon, seed=seed, per_type=per_type, prior=make_prior(own) if make_prior else None)
    summary["prior"] = maker.prior
    why = summary["why_none"]
    with make_progress("captions") as bar:
        task = bar.add_task("foils", total=len(parsed))
        for k, (ident, text, doc, matches) in enumerate(parsed):
            parsed[k] = None
            foils = maker.from_parse(ident, text, doc, matches, types, why=why, dropped=summary["dropped"])
            bar.advance(task)
            if not foils:
                summary["n_no_foil"] += 1
                if len(summary["no_foil_examples"]) < N_EXAMPLES:
                    summary["no_foil_examples"].append(text)
            yield from (f.row() for f in foils)


def audit_path_for(out: Path) -> Path:
    """The audit file of a foils file: FOILS.audit.json beside FOILS.jsonl, so two runs into one folder keep both."""
    name = out.name[: -len(".jsonl")] if out.name.endswith(".jsonl") else out.name
    return out.with_name(f"{name}.audit.json")


def _why_table(why: Counter, types) -> dict:
    """{type: {reason: captions}} of the types that made no foil of a caption that has pairs."""
    out: dict[str, dict[str, int]] = {}
    for (typ, reason), n in sorted(why.items()):
        out.setdefault(typ, {})[reason] = n
    return {t: out[t] for t in types if t in out}


@holding("aobench foils", entry=True)
def run_foils(input_path: str | Path, out: str | Path, types: Optional[Iterable[str]] = None, seed: int = 0, vocab: Optional[str] = None,
              per_type: int = 1, text_column: Optional[str] = None, splits: Optional[list[str]] = None, audit: bool = True,
              do_balance: bool = False, counts: Optional[str] = None, audit_out: Optional[str | Path] = None,
              audit_sample: Optional[int] = 1000, tolerance: float = 0.05, embed=None, plausibility: bool = True,
              blind_clip: Optional[str] = DEFAULT_BLIND_CLIP) -> dict:
    """Make foils of INPUT into OUT (JSONL), audit them (OUT's name + .audit.json), optionally balance; returns a summary.

    Captions files: foils whose new pair the plausibility prior rejects are not made (`plausibility=False`: no prior).
    `blind_clip`: the open_clip architecture of the random-init blind scorer (None: that scorer is off).
    """
    types = parse_types(types)
    src, out = Path(input_path), Path(out)
    if per_type < 0:
        raise AobenchError(f"--per-type must be 0 (all) or more, got {per_type}")
    # a missing local path fails here, before any bar starts; ORG/NAME without a suffix may be a Hub dataset
    if not src.exists() and not is_hub_id(input_path):
        raise AobenchError(f"input not found: {input_path} (a build dir or a captions file: .txt, .jsonl, .csv)")
    writable_file(out)
    audit_path = Path(audit_out) if audit_out else audit_path_for(out)
    if audit:
        writable_file(audit_path)
    if audit and embed is None:
        from aobench.extras import require

        require("audit", "the foils audit's sentence scorer", "or pass --no-audit")  # fail before any foil is made
    if audit and blind_clip:
        from aobench.clipzoo import check_open_clip

        check_open_clip(blind_clip)  # an unknown architecture fails before the long part
    counts_obj = None
    if counts:
        from aobench.nmidir import load_corpus

        counts_obj = load_corpus(counts).counts  # fail before the long part; `builtin:NAME` or an `aobench nmi` dir
    kind = "build" if is_build_dir(src) else "captions"
    summary = {"input": str(src), "kind": kind, "types": list(types), "seed": seed,
               "n_captions": 0, "n_with_pairs": 0, "n_no_pair": 0, "no_pair_examples": [], "n_no_foil": 0, "no_foil_examples": [],
               "why_none": Counter(), "skipped_records": Counter(), "reference": [], "corpus_pairs": [], "has_train": False, "prior": None,
               "dropped": Counter()}
    if kind == "build":
        summary["has_train"] = any(r.get("split") == "train" for r in BuildDir(src).manifest())
        # no prior: a build's rows are unusual pairs by design, and a prior would keep only foils likelier than them
        rows = list(_foils_of_build(src, types, seed, per_type, splits, summary))
    else:
        def make_prior(own):
            from aobench.foils.prior import default_prior

            extra = [(counts_obj, str(counts))] if counts_obj is not None else []
            return default_prior([*(t for t, _ in extra), own], [*(n for _, n in extra), "the input's own captions"])

        rows = list(_foils_of_captions(src, types, seed, per_type, vocab or DEFAULT_VOCAB, text_column, make_prior if plausibility else None, summary))
    if summary["n_with_pairs"] == 0:
        examples = "; ".join(repr(t) for t in summary["no_pair_examples"][:3])
        if not examples:  # nothing readable at all: say what was skipped instead of an empty "e.g."
            skipped = ", ".join(f"{k}: {v}" for k, v in sorted(summary["skipped_records"].items())) or "none"
            raise AobenchError(f"{src}: no usable caption in it ({summary['n_captions']} captions read; skipped: {skipped}) — check the file, --text-column and --split")
        raise AobenchError(f"{src}: no caption has an attribute–object pair of the vocab ({summary['n_no_pair']} captions, e.g. {examples}) — check --vocab / --text-column")
    why = _why_table(summary["why_none"], types)
    if not rows:
        examples = "; ".join(repr(t) for t in summary["no_foil_examples"][:3])
        reasons = "; ".join(f"{t}: " + ", ".join(f"{r} {n}" for r, n in v.items()) for t, v in why.items())
        raise AobenchError(f"{src}: {summary['n_with_pairs']} captions have attribute–object pairs but none has a valid foil of type(s) "
                           f"{', '.join(types)} (e.g. {examples}; by type: {reasons}) — try more --types")
    report = None
    if audit:
        from aobench.foils.audit import load_embedder, run_audit
        from aobench.text.counts import Counts

        leave_out = counts_obj is None
        if counts_obj is None:
            counts_obj = Counts()
            for pairs in summary["corpus_pairs"]:
                counts_obj.add_caption(pairs)
            counts_source = "the input's own captions" if kind == "captions" else ("the build's train split" if summary["has_train"] else "the build's rows")
            # a build's train split holds none of the audited (test) rows: nothing of theirs to leave out
            leave_out = not (kind == "build" and summary["has_train"])
        else:
            counts_source = str(counts)
        report, mask = run_audit(rows, counts=counts_obj, embed=embed or load_embedder(), reference=summary["reference"],
                                 sample_per_type=audit_sample, do_balance=do_balance, tolerance=tolerance, seed=seed,
                                 leave_out=leave_out, blind_clip=blind_clip)
        report["counts_source"] = counts_source
        if summary.get("prior") is not None:
            report["plausibility"] = summary["prior"].describe()
        if mask is not None:
            rows = [r for r, m in zip(rows, mask) if m]
    n = atomic_write_jsonl(out, rows)
    per_type_counts = Counter(r["type"] for r in rows)
    foiled = summary["n_with_pairs"] - summary["n_no_foil"]  # before any balancing: the captions foils were made of
    result = {
        "out": str(out), "n_foils": n, "per_type": {t: per_type_counts.get(t, 0) for t in types},
        **{k: summary[k] for k in ("input", "kind", "types", "seed", "n_captions", "n_with_pairs", "n_no_pair", "no_pair_examples",
                                   "n_no_foil", "no_foil_examples")},
        "n_foiled": foiled, "share_foiled": round(foiled / summary["n_with_pairs"], 4) if summary["n_with_pairs"] else 0.0,
        "no_foil_by_type": why,
        # foils the plausibility prior rejected (each redrawn among plausible candidates where there was one)
        "implausible_per_type": {t: summary["dropped"][t] for t in types if summary["dropped"][t]},
        "skipped_records": dict(summary["skipped_records"]),
    }
    if report is not None:
        report["foils"] = {k: result[k] for k in ("out", "n_foils", "per_type", "n_captions", "n_with_pairs", "n_foiled", "share_foiled",
                                                  "n_no_pair", "no_pair_examples", "n_no_foil", "no_foil_by_type", "implausible_per_type")}
        atomic_write_json(audit_path, report)
        result["audit"] = report
        result["audit_path"] = str(audit_path)
    return result
