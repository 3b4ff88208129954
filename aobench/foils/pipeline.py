"""`aobench foils`: read INPUT (a build dir or a captions file), make foils, write JSONL, audit them."""

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
            yield from (f.row() for f in maker.from_pair(str(r["id"]), caption, r["attribute"], r["object"], _template_of(r, templates), types))
            bar.advance(task)


def _foils_of_captions(path: Path, types, seed: int, per_type: int, vocab_ref: str, text_column: Optional[str], summary: dict) -> Iterator[dict]:
    from aobench.text.corpus import iter_records
    from aobench.text.parse import Extractor, vocab_for

    if vocab_ref.lower() == "none":
        raise AobenchError("foils need a typed vocabulary (attribute types, object groups): pass --vocab RECIPE, not none")
    vocab = vocab_for(vocab_ref)
    # vocab classes only (foils swap in typed attributes and grouped objects); `parse` gives asserted pairs only,
    # so a negated mention ("the umbrella is not blue") never starts a foil
    extractor = Extractor(vocab, hypernyms=())
    maker = FoilMaker(vocab, seed=seed, per_type=per_type)
    records = []

    def texts() -> Iterator[str]:
        for rec in iter_records(path, text_column=text_column):
            if rec.skip:
                summary["skipped_records"][rec.skip] += 1
                continue
            records.append(rec)
            yield rec.text

    with make_progress("captions") as bar:
        task = bar.add_task("parse + foils", total=None)
        # one parse per caption; every foil type is made from it
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
            summary["n_with_pairs"] += 1
            summary["reference"].append(rec.text)
            summary["corpus_pairs"].append([(m.attribute, m.object) for m in matches])
            yield from (f.row() for f in maker.from_parse(rec.id, rec.text, doc, matches, types))


@holding("aobench foils", entry=True)
def run_foils(input_path: str | Path, out: str | Path, types: Optional[Iterable[str]] = None, seed: int = 0, vocab: Optional[str] = None,
              per_type: int = 1, text_column: Optional[str] = None, splits: Optional[list[str]] = None, audit: bool = True,
              do_balance: bool = False, counts: Optional[str] = None, audit_out: Optional[str | Path] = None,
              audit_sample: Optional[int] = 1000, tolerance: float = 0.05, embed=None) -> dict:
    """Make foils of INPUT into OUT (JSONL), audit them (audit.json beside OUT), optionally balance; returns a summary."""
    types = parse_types(types)
    src, out = Path(input_path), Path(out)
    if per_type < 0:
        raise AobenchError(f"--per-type must be 0 (all) or more, got {per_type}")
    # a missing local path fails here, before any bar starts; ORG/NAME without a suffix may be a Hub dataset
    if not src.exists() and not is_hub_id(input_path):
        raise AobenchError(f"input not found: {input_path} (a build dir or a captions file: .txt, .jsonl, .csv)")
    writable_file(out)
    if audit and embed is None:
        from aobench.extras import require

        require("audit", "the foils audit's sentence scorer", "or pass --no-audit")  # fail before any foil is made
    counts_obj = None
    if counts:
        from aobench.corpora import load_corpus

        counts_obj = load_corpus(counts).counts  # fail before the long part; `builtin:NAME` or an `aobench nmi` dir
    summary = {"input": str(src), "kind": "build" if is_build_dir(src) else "captions", "types": list(types), "seed": seed,
               "n_captions": 0, "n_with_pairs": 0, "n_no_pair": 0, "no_pair_examples": [], "skipped_records": Counter(),
               "reference": [], "corpus_pairs": [], "has_train": False}
    if summary["kind"] == "build":
        summary["has_train"] = any(r.get("split") == "train" for r in BuildDir(src).manifest())
        rows = list(_foils_of_build(src, types, seed, per_type, splits, summary))
    else:
        rows = list(_foils_of_captions(src, types, seed, per_type, vocab or DEFAULT_VOCAB, text_column, summary))
    if summary["n_with_pairs"] == 0:
        examples = "; ".join(repr(t) for t in summary["no_pair_examples"][:3])
        if not examples:  # nothing readable at all: say what was skipped instead of an empty "e.g."
            skipped = ", ".join(f"{k}: {v}" for k, v in sorted(summary["skipped_records"].items())) or "none"
            raise AobenchError(f"{src}: no usable caption in it ({summary['n_captions']} captions read; skipped: {skipped}) — check the file, --text-column and --split")
        raise AobenchError(f"{src}: no caption has an attribute–object pair of the vocab ({summary['n_no_pair']} captions, e.g. {examples}) — check --vocab / --text-column")
    report = None
    if audit and rows:
        from aobench.foils.audit import load_embedder, run_audit
        from aobench.text.counts import Counts

        if counts_obj is None:
            counts_obj = Counts()
            for pairs in summary["corpus_pairs"]:
                counts_obj.add_caption(pairs)
            counts_source = "the input's own captions" if summary["kind"] == "captions" else ("the build's train split" if summary["has_train"] else "the build's rows")
        else:
            counts_source = str(counts)
        report, mask = run_audit(rows, counts=counts_obj, embed=embed or load_embedder(), reference=summary["reference"],
                                 sample_per_type=audit_sample, do_balance=do_balance, tolerance=tolerance, seed=seed)
        report["counts_source"] = counts_source
        if mask is not None:
            rows = [r for r, m in zip(rows, mask) if m]
    n = atomic_write_jsonl(out, rows)
    per_type_counts = Counter(r["type"] for r in rows)
    result = {
        "out": str(out), "n_foils": n, "per_type": {t: per_type_counts.get(t, 0) for t in types},
        **{k: summary[k] for k in ("input", "kind", "types", "seed", "n_captions", "n_with_pairs", "n_no_pair", "no_pair_examples")},
        "skipped_records": dict(summary["skipped_records"]),
    }
    if report is not None:
        report["foils"] = {k: result[k] for k in ("out", "n_foils", "per_type", "n_captions", "n_no_pair", "no_pair_examples")}
        audit_path = Path(audit_out) if audit_out else out.parent / "audit.json"
        atomic_write_json(audit_path, report)
        result["audit"] = report
        result["audit_path"] = str(audit_path)
    return result
