"""Regenerate a built-in corpus, aobench/corpora/NAME/: `aobench nmi` counts of an open caption corpus (package data).

Only derived counts ship (counts.json: attribute-object pair counts; nmi.json: the corpus statistics; source.yaml:
where the captions came from, their licence, the input's hash and this command), never the captions or files.

    python scripts/make_corpus_counts.py coco-captions captions_val2017.json
    python scripts/make_corpus_counts.py cc-val Validation_GCC-1.1.0-Validation.tsv
    python scripts/make_corpus_counts.py laion-10k test_10000.parquet
    python scripts/make_corpus_counts.py vg-attributes action.json color.json material.json size.json state.json

Each corpus (CORPORA below) says where to get its files and how its rows become captions: they are written as
JSONL ({"id", "caption"}, in a fixed order) to a temp dir and counted with
`aobench nmi CAPTIONS.jsonl --out DIR --vocab imagenet-ao` (recorded in source.yaml with the aobench, spaCy and
pipeline versions and a hash of the extraction rules). One command per corpus, rerunnable; rerun each whenever
aobench/text/parse.py or the imagenet-ao vocabulary changes (source.yaml's `command` is the line to rerun).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import yaml

from aobench.io import atomic_write_text, sha256_file
from aobench.nmidir import NmiDir

REPO = Path(__file__).resolve().parents[1]
CORPORA_DIR = REPO / "aobench" / "corpora"
VOCAB = "imagenet-ao"


def coco_rows(paths: list[Path]) -> Iterator[dict]:
    """COCO caption annotations (captions_*.json) → {"id", "caption"} in annotation-id order."""
    for p in paths:
        anns = sorted(json.loads(p.read_text(encoding="utf-8"))["annotations"], key=lambda a: a["id"])
        for a in anns:
            yield {"id": a["id"], "caption": a["caption"]}


def cc_rows(paths: list[Path]) -> Iterator[dict]:
    """Conceptual Captions TSV (caption TAB url, no header) → {"id": line number, "caption"} in file order."""
    for p in paths:
        with open(p, encoding="utf-8", newline="") as fh:
            for n, row in enumerate(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE), 1):
                yield {"id": n, "caption": row[0] if row else None}


def laion_rows(paths: list[Path]) -> Iterator[dict]:
    """LAION metadata parquet (URL, TEXT) → {"id": row number, "caption": TEXT} in file order (a null TEXT stays null: counted as skipped)."""
    import pyarrow.parquet as pq

    for p in paths:
        for n, text in enumerate(pq.read_table(p, columns=["TEXT"]).column("TEXT").to_pylist()):
            yield {"id": n, "caption": text}


def vg_rows(paths: list[Path]) -> Iterator[dict]:
    """VL-CheckList's Visual Genome attribute files → their positive phrases only ("brown knob", "woman IN pink vest").

    A file is a list of [image, {"POS": [...], "NEG": [...]}]; NEG phrases are VL-CheckList's synthetic foils and are
    never read. Files in the order given, rows in file order; a phrase repeated for the same image is counted once.
    """
    seen: set = set()
    for p in paths:
        for i, (image, sample) in enumerate(json.loads(p.read_text(encoding="utf-8"))):
            for k, phrase in enumerate(sample.get("POS") or ()):
                key = (image, phrase.lower())
                if key in seen:
                    continue
                seen.add(key)
                yield {"id": f"{p.stem}:{i}:{k}", "caption": phrase}


@dataclass
class Source:
    """One built-in corpus: what it is, where its input files are, and how they become caption rows."""

    name: str
    rows: Callable[[list[Path]], Iterator[dict]]
    inputs: tuple[str, ...]  # file names the command takes, in this order
    about: dict  # source, url, licence, attribution, note: copied into source.yaml
    copy: dict = field(default_factory=dict)  # the public copy counted: repo, commit, path(s), sha256 per file name


CORPORA = {
    s.name: s
    for s in (
        Source(
            "coco-captions",
            coco_rows,
            ("captions_val2017.json",),
            {
                "source": "COCO 2017 val captions (captions_val2017.json)",
                "kind": "crowd-sourced photo captions",
                "url": "https://cocodataset.org",
                "licence": "CC BY 4.0 (COCO annotations)",
                "attribution": 'Lin et al. 2014, "Microsoft COCO: Common Objects in Context", cocodataset.org',
                "note": "only derived attribute-object counts ship, never the captions; COCO images carry Flickr licences and are not used",
                "get": "captions_val2017.json from annotations_trainval2017.zip (cocodataset.org)",
            },
            {"sha256": {"captions_val2017.json": "1018a8760deaf1fc71be2f1b8da1a1348b9c35994af4322ca2fd795a78abb79c"}},
        ),
        Source(
            "cc-val",
            cc_rows,
            ("Validation_GCC-1.1.0-Validation.tsv",),
            {
                "source": "Conceptual Captions (CC3M) validation split, Validation_GCC-1.1.0-Validation.tsv",
                "kind": "web alt-text (cleaned and hypernymed)",
                "url": "https://ai.google.com/research/ConceptualCaptions/",
                "licence": "Conceptual Captions licence: may be freely used for any purpose; acknowledgement of Google LLC as the data source appreciated",
                "attribution": 'Google LLC; Sharma et al. 2018, "Conceptual Captions: A Cleaned, Hypernymed, Image Alt-text Dataset For Automatic Image Captioning", ACL',
                "note": "only derived attribute-object counts ship, never the captions or URLs; the copy counted has 15,833 rows (the HF dataset card lists 15,840)",
                "get": "git show e99dd3316509a01ee82f6cdf2f976e5c9aa003c1:Validation_GCC-1.1.0-Validation.tsv in github.com/imran980/M2IB",
            },
            {
                "repo": "github.com/imran980/M2IB",
                "commit": "e99dd3316509a01ee82f6cdf2f976e5c9aa003c1",
                "path": "Validation_GCC-1.1.0-Validation.tsv",
                "sha256": {"Validation_GCC-1.1.0-Validation.tsv": "12559c4517bcc76eb9987c29267826ce4d3aa0ca14fa8ee1e536d542d64e81dd"},
            },
        ),
        Source(
            "laion-10k",
            laion_rows,
            ("test_10000.parquet",),
            {
                "source": "a 10,000-row sample of LAION image-text metadata (URL, TEXT): img2dataset's test file tests/test_files/test_10000.parquet",
                "kind": "web alt-text (raw, CLIP-filtered)",
                "url": "https://laion.ai",
                "licence": "CC BY 4.0 (LAION metadata)",
                "attribution": 'Schuhmann et al. 2021, "LAION-400M: Open Dataset of CLIP-Filtered 400 Million Image-Text Pairs"; sample from github.com/rom1504/img2dataset (MIT)',
                "note": "only derived attribute-object counts ship, never the texts or URLs; which LAION release the sample was drawn from is not stated in img2dataset",
                "get": "git show 95523bc7579745a1749b8132d408b9fea89a338e:tests/test_files/test_10000.parquet in github.com/rom1504/img2dataset",
            },
            {
                "repo": "github.com/rom1504/img2dataset",
                "commit": "95523bc7579745a1749b8132d408b9fea89a338e",
                "path": "tests/test_files/test_10000.parquet",
                "sha256": {"test_10000.parquet": "cfa6bcb629614e66d4c286f0c9511a79482b9f5d5c42025b3622225660dea897"},
            },
        ),
        Source(
            "vg-attributes",
            vg_rows,
            ("action.json", "color.json", "material.json", "size.json", "state.json"),
            {
                "source": "Visual Genome attribute-object phrases: the positive phrases of VL-CheckList's data/Attribute/vg/*.json (its negatives are synthetic and not used)",
                "kind": "region annotations (attribute-object phrases, not captions)",
                "url": "https://visualgenome.org",
                "licence": "CC BY 4.0 (Visual Genome)",
                "attribution": 'Krishna et al. 2017, "Visual Genome: Connecting Language and Vision Using Crowdsourced Dense Image Annotations", IJCV; phrases as selected by Zhao et al. 2022, "VL-CheckList", github.com/om-ai-lab/VL-CheckList',
                "note": "only derived attribute-object counts ship, never the phrases; each phrase counts as one caption; the files of all five VG attribute types were present (action, color, material, size, state)",
                "get": "git show 6f8d6a3281c401b89e4e154f46c6974ec2df3a82:data/Attribute/vg/NAME.json in github.com/om-ai-lab/VL-CheckList",
            },
            {
                "repo": "github.com/om-ai-lab/VL-CheckList",
                "commit": "6f8d6a3281c401b89e4e154f46c6974ec2df3a82",
                "path": "data/Attribute/vg/{action,color,material,size,state}.json",
                "sha256": {
                    "action.json": "a20b1ee682ab2fb62978cca3a95fc27aa6b35f9238ca7c8847f74671c40db7ba",
                    "color.json": "93e5d316cfc964c7b4bce2182c9916533ec3aa6e006830859af7c0d2de9f76c7",
                    "material.json": "b2c1e312cba0a8efdc5113dd451e21f7fd9d0e96a222a5406ffa8dd67b30d094",
                    "size.json": "0a2a929d9dce990cfd4b05299e2d2a7fe59b5c679a3e7f52419a5375ea42f24b",
                    "state.json": "d13bc1292de364cd787fc651f4abc0ffaafe9fbf09ec8ce25af76bb349415a2e",
                },
            },
        ),
    )
}


def write_jsonl(rows: Iterator[dict], out: Path) -> int:
    """Caption rows → JSONL; returns the row count."""
    n = 0
    with open(out, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n


def versions() -> dict:
    """aobench, spaCy and pipeline versions, and a hash of the extraction rules (text/parse.py)."""
    import spacy

    from aobench.version import __version__
    from aobench.text.parse import model_name

    name = model_name()
    try:
        from importlib.metadata import version

        model_version = version(name.replace("_", "-"))
    except Exception:  # a pipeline given as a path has no distribution
        model_version = "unknown"
    parse_py = REPO / "aobench" / "text" / "parse.py"
    return {"aobench": __version__, "spacy": spacy.__version__, "pipeline": f"{name} {model_version}", "parse_py_sha256": sha256_file(parse_py)}


def _copy(src: Source, hashes: dict) -> dict:
    """The public copy counted, when every input is the known file (else only the hashes say what was counted)."""
    known = src.copy.get("sha256", {})
    if not src.copy.get("repo") or any(known.get(k) != v for k, v in hashes.items()):
        return {}
    return {k: v for k, v in src.copy.items() if k != "sha256"}


def make(name: str, inputs: list[Path], out: Path | None = None, workers: int = 1) -> dict:
    """Count one corpus's captions into `out` (counts.json, nmi.json, source.yaml); returns source.yaml's content."""
    src = CORPORA[name]
    out = out or CORPORA_DIR / name
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        jsonl = Path(tmp) / f"{name}.jsonl"
        n = write_jsonl(src.rows(inputs), jsonl)
        nmi_dir = Path(tmp) / "nmi"
        cmd = [sys.executable, "-m", "aobench.cli", "nmi", str(jsonl), "--out", str(nmi_dir), "--vocab", VOCAB, "--workers", str(workers)]
        subprocess.run(cmd, check=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
        made = NmiDir(nmi_dir)
        counts = made.counts().to_dict()
        nmi = made.stats()
    nmi["sources"] = [p.name for p in inputs]
    nmi["corpus"] = name
    hashes = {p.name: sha256_file(p) for p in inputs}
    shipped = NmiDir(out)
    # package data: counts on one line (compact), the statistics indented; no pairs.csv (PMI follows from the counts)
    atomic_write_text(shipped.counts_path, json.dumps(counts, separators=(",", ":")) + "\n")
    atomic_write_text(shipped.nmi_path, json.dumps(nmi, indent=1) + "\n")
    doc = {
        "name": name,
        **{k: v for k, v in src.about.items() if k != "get"},
        "n_captions": counts["n_captions"],
        "n_captions_with_pairs": counts.get("n_captions_with_pairs"),
        "n_rows": n,
        "inputs": [p.name for p in inputs],
        "input_sha256": hashes,
        **({"copy": _copy(src, hashes)} if _copy(src, hashes) else {}),
        "vocab": f"{VOCAB} (with vocab.hypernyms: generic nouns counted at their own level)",
        "versions": versions(),
        "command": f"python scripts/make_corpus_counts.py {name} {' '.join(p.name for p in inputs)} --workers {workers}",
        "nmi_command": f"aobench nmi {name}.jsonl --out DIR --vocab {VOCAB} --workers {workers}",
    }
    atomic_write_text(
        shipped.source_path,
        "# Where these counts came from; regenerate with the command below (see scripts/make_corpus_counts.py).\n"
        + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=10_000),
    )
    return doc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog="corpora: " + "; ".join(f"{k}: {s.about['get']}" for k, s in CORPORA.items()))
    ap.add_argument("corpus", choices=sorted(CORPORA), help="which built-in corpus")
    ap.add_argument("inputs", type=Path, nargs="+", help="its input file(s) (see the epilog)")
    ap.add_argument("--out", type=Path, default=None, help="default: aobench/corpora/CORPUS")
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    missing = [str(p) for p in args.inputs if not p.is_file()]
    if missing:
        sys.exit(f"make_corpus_counts: input file not found: {', '.join(missing)}")
    doc = make(args.corpus, args.inputs, args.out, args.workers)
    print(f"wrote {args.out or CORPORA_DIR / args.corpus}: {doc['n_captions']:,} captions, {doc['n_captions_with_pairs']:,} with a pair ({shlex.quote(doc['command'])})")


if __name__ == "__main__":
    main()
