"""Regenerate aobench/corpora/coco-captions/: `aobench nmi` counts of the COCO 2017 val captions (package data).

Only derived counts ship (counts.json: attribute-object pair counts; nmi.json: the corpus statistics), never the
captions. COCO annotations are CC BY 4.0 (Lin et al. 2014, "Microsoft COCO: Common Objects in Context",
cocodataset.org); the images carry Flickr licences and are not used.

Get the captions: `captions_val2017.json` from annotations_trainval2017.zip (cocodataset.org), then
    python scripts/make_coco_counts.py captions_val2017.json [--workers N]
It writes the captions as JSONL (one {"id", "caption"} per annotation, in annotation-id order) to a temp dir,
runs `aobench nmi CAPTIONS.jsonl --out DIR --vocab imagenet-ao` (the exact command is recorded in source.yaml
with the aobench, spaCy and pipeline versions and a hash of the extraction rules) and copies the results here.
Rerun it whenever aobench/text/parse.py or the imagenet-ao vocabulary changes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "aobench" / "corpora" / "coco-captions"
VOCAB = "imagenet-ao"
SOURCE = {
    "name": "coco-captions",
    "source": "COCO 2017 val captions (captions_val2017.json)",
    "url": "https://cocodataset.org",
    "licence": "CC BY 4.0 (COCO annotations)",
    "attribution": 'Lin et al. 2014, "Microsoft COCO: Common Objects in Context", cocodataset.org',
    "note": "only derived attribute-object counts ship, never the captions; COCO images carry Flickr licences and are not used",
}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_jsonl(coco_json: Path, out: Path) -> int:
    """COCO caption annotations → JSONL rows {"id", "caption"} in annotation-id order; returns the row count."""
    anns = sorted(json.loads(coco_json.read_text(encoding="utf-8"))["annotations"], key=lambda a: a["id"])
    with open(out, "w", encoding="utf-8") as fh:
        for a in anns:
            fh.write(json.dumps({"id": a["id"], "caption": a["caption"]}, ensure_ascii=False) + "\n")
    return len(anns)


def versions() -> dict:
    """aobench, spaCy and pipeline versions, and a hash of the extraction rules (text/parse.py)."""
    import spacy

    from aobench import __version__
    from aobench.text.parse import model_name

    name = model_name()
    try:
        from importlib.metadata import version

        model_version = version(name.replace("_", "-"))
    except Exception:  # a pipeline given as a path has no distribution
        model_version = "unknown"
    parse_py = REPO / "aobench" / "text" / "parse.py"
    return {"aobench": __version__, "spacy": spacy.__version__, "pipeline": f"{name} {model_version}", "parse_py_sha256": _sha256(parse_py)}


def make(coco_json: Path, out: Path = OUT, workers: int = 1) -> dict:
    """Count the captions of a COCO captions JSON into `out` (counts.json, nmi.json, source.yaml); returns source.yaml."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        jsonl = Path(tmp) / "coco_captions.jsonl"
        n = write_jsonl(coco_json, jsonl)
        nmi_dir = Path(tmp) / "nmi"
        cmd = [sys.executable, "-m", "aobench.cli", "nmi", str(jsonl), "--out", str(nmi_dir), "--vocab", VOCAB, "--workers", str(workers)]
        subprocess.run(cmd, check=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
        counts = json.loads((nmi_dir / "counts.json").read_text())
        nmi = json.loads((nmi_dir / "nmi.json").read_text())
    nmi["sources"] = [coco_json.name]
    nmi["corpus"] = SOURCE["name"]
    (out / "counts.json").write_text(json.dumps(counts, separators=(",", ":")) + "\n")
    (out / "nmi.json").write_text(json.dumps(nmi, indent=1) + "\n")
    doc = {
        **SOURCE,
        "n_captions": counts["n_captions"],
        "n_captions_with_pairs": counts.get("n_captions_with_pairs"),
        "n_annotations": n,
        "input_sha256": _sha256(coco_json),
        "vocab": f"{VOCAB} (with vocab.hypernyms: generic nouns counted at their own level)",
        "versions": versions(),
        "command": f"python scripts/make_coco_counts.py {coco_json.name} --workers {workers}",
        "nmi_command": f"aobench nmi coco_captions.jsonl --out DIR --vocab {VOCAB} --workers {workers}",
    }
    (out / "source.yaml").write_text(
        "# Where these counts came from; regenerate with the command below (see scripts/make_coco_counts.py).\n"
        + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120)
    )
    return doc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("coco_json", type=Path, help="captions_val2017.json (COCO caption annotations)")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    doc = make(args.coco_json, args.out, args.workers)
    print(f"wrote {args.out}: {doc['n_captions']:,} captions, {doc['n_captions_with_pairs']:,} with a pair ({shlex.quote(doc['command'])})")


if __name__ == "__main__":
    main()
