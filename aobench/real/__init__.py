"""`aobench real`: real photographs of a build's objects and unusual pairs, as a `real` split beside the generated ones.

Layout under DIR/real/: `urls.parquet` (the selection), `download/` (img2dataset shards), `images/`,
`manifest.jsonl` (generated splits' columns; `prompt` is the caption, `seed` is -1, `filters` is
"kept" or img2dataset's failure status), `hf/` (a DatasetDict with one `real` split), `stats.json`.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import yaml

from aobench.errors import AobenchError
from aobench.io import atomic_write_bytes, atomic_write_json, atomic_write_jsonl, read_jsonl
from aobench.progress import make_progress

SPLIT = "real"
NO_SEED = -1  # real photographs have no generator seed; -1 keeps the int64 column typed


@dataclass
class RealResult:
    """What `make_real` did."""

    out: Path
    selected: int
    kept: int
    stats: dict


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "none"


def _load_build(build_dir: Path):
    from aobench.pairs import read_pairs
    from aobench.recipe import Recipe
    from aobench.vocab import load_vocab

    lock, pairs_file = build_dir / "recipe.lock.yaml", build_dir / "pairs.jsonl"
    if not lock.is_file() or not pairs_file.is_file():
        raise AobenchError(f"{build_dir}: no recipe.lock.yaml/pairs.jsonl — `aobench real` needs a build dir from `aobench build`")
    recipe = Recipe.model_validate(yaml.safe_load(lock.read_text())["recipe"])
    return recipe, load_vocab(recipe.vocab), read_pairs(pairs_file)


def _write_selection(rows: list[dict], path: Path, force: bool) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist(rows, schema=pa.schema([(k, pa.string()) for k in ("aob_id", "url", "caption", "attribute", "attribute_type", "object", "object_group", "pair_status")]))
    if path.exists():
        old = pq.read_table(path)
        if old.equals(table):
            return  # same selection: img2dataset resumes its shards
        if not force:
            raise AobenchError(f"{path} holds a different selection (other table or caps); rerun with --force to start the real split over")
        shutil.rmtree(path.parent)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp)
    tmp.replace(path)


def make_real(build_dir: str | Path, tables: list[Path], *, per_object: int = 50, per_pair: int = 50, image_size: int = 256,
              output_format: str = "files", distributor: str = "multiprocessing", processes: int = 1, threads: int = 16,
              timeout: int = 10, retries: int = 0, shard_size: int = 1000, url_column: str = "url", caption_column: str = "caption",
              force: bool = False, seed: Optional[int] = None) -> RealResult:
    """Select caption/URL rows for a build's objects and unusual pairs, download them, write the `real` split."""
    from aobench.extras import require
    from aobench.real import download as dl
    from aobench.real.select import Matcher, read_table, select_rows

    require("real", "aobench real")  # before selecting rows, not after
    build_dir = Path(build_dir)
    recipe, vocab, pairs = _load_build(build_dir)
    if not tables:
        raise AobenchError("--table: give at least one caption/URL table (parquet, CSV or JSONL with url and caption columns)")
    if per_object < 0 or per_pair < 0:
        raise AobenchError("--per-object/--per-pair must be >= 0")

    def all_rows():
        for t in tables:
            yield from read_table(Path(t), url_column, caption_column)

    rows = select_rows(all_rows(), pairs, Matcher(vocab, pairs), per_object, per_pair, recipe.seed if seed is None else seed)
    if not rows:
        raise AobenchError(f"no caption in {', '.join(map(str, tables))} mentions an object of {recipe.name} — check --caption-column or the table")
    counters: dict[tuple, int] = {}
    for r in rows:
        key = (r["attribute"], r["object"])
        r["aob_id"] = f"{SPLIT}-{_slug(r['attribute'])}-{_slug(r['object'])}-{counters.get(key, 0):05d}"
        counters[key] = counters.get(key, 0) + 1
    root = build_dir / SPLIT
    _write_selection(rows, root / "urls.parquet", force)
    dl.download(root / "urls.parquet", root / "download", image_size=image_size, output_format=output_format, distributor=distributor,
                processes=processes, threads=threads, timeout=timeout, retries=retries, shard_size=shard_size)
    return _assemble(build_dir, rows, output_format)


def _assemble(build_dir: Path, rows: list[dict], output_format: str) -> RealResult:
    from aobench.dataset.assemble import build_dataset_dict, save_dataset_dict
    from aobench.real import download as dl

    root = build_dir / SPLIT
    got = {o[dl.ID_COLUMN]: o for o in dl.outcomes(root / "download")}
    records, cache, cache_shard = [], None, None
    with make_progress("images") as progress:
        task = progress.add_task("real split", total=len(rows))
        for r in rows:
            o = got.get(r["aob_id"])
            status = o["status"] if o else "not_downloaded"
            rel = f"{SPLIT}/images/{r['aob_id']}.jpg"
            if status == "success":
                if o["shard"] != cache_shard:
                    cache, cache_shard = dl.shard_images(root / "download", output_format, o["shard"]), o["shard"]
                if not (build_dir / rel).exists():
                    atomic_write_bytes(build_dir / rel, dl.image_bytes(root / "download", o, cache))
            records.append({
                "id": r["aob_id"], "split": SPLIT, "attribute": r["attribute"], "attribute_type": r["attribute_type"],
                "object": r["object"], "object_group": r["object_group"], "pair_status": r["pair_status"], "prompt": r["caption"],
                "seed": NO_SEED, "file": rel if status == "success" else "", "filters": "kept" if status == "success" else status,
                "url": r["url"], **({"error": o["error_message"]} if o and o.get("error_message") else {}),
            })
            progress.advance(task)
    atomic_write_jsonl(root / "manifest.jsonl", records)
    pairs_file = build_dir / "pairs.jsonl"  # the build's pairs: the real split's label ids match the build's
    build_pairs = [(p["attribute"], p["object"]) for p in read_jsonl(pairs_file)] if pairs_file.exists() else []
    save_dataset_dict(build_dataset_dict(records, build_dir, [SPLIT], build_pairs), root / "hf")
    st = dl.stats(root / "download")
    kept = sum(r["filters"] == "kept" for r in records)
    st.update(selected=len(rows), kept=kept, by_status={s: sum(r["pair_status"] == s for r in records if r["filters"] == "kept") for s in ("unusual", "seen", "object")})
    atomic_write_json(root / "stats.json", st)
    return RealResult(out=root, selected=len(rows), kept=kept, stats=st)
