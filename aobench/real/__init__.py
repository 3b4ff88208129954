"""`aobench real`: real photographs of a build's objects and unusual pairs, as a `real` split beside the generated ones.

Layout under DIR/real/ (`aobench.artifacts.RealDir`): the selection (parquet), img2dataset's download
folder, images, a manifest (generated splits' columns; `prompt` is the caption, `seed` is -1, `filters`
is "kept" or img2dataset's failure status), `hf/` (a DatasetDict with one `real` split), stats.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from aobench.artifacts import BuildDir, RealDir
from aobench.errors import AobenchError
from aobench.io import atomic_write_bytes, atomic_write_json, atomic_write_jsonl
from aobench.locks import holding
from aobench.progress import make_progress

SPLIT = RealDir.SPLIT
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
    from aobench.pairs import Pair
    from aobench.vocab import load_vocab

    bd = BuildDir(build_dir)
    if not bd.lock_path.is_file() or not bd.pairs_path.is_file():
        raise AobenchError(f"{build_dir}: no {bd.lock_path.name}/{bd.pairs_path.name} — `aobench real` needs a build dir from `aobench build`")
    recipe = bd.lock
    return recipe, load_vocab(recipe.vocab), [Pair(**row) for row in bd.pairs()]


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


@holding("aobench real", arg="build_dir", flag="", existing=True)  # the real split is written inside the build
def make_real(build_dir: str | Path, tables: list[Path], *, per_object: int = 50, per_pair: int = 50, image_size: int = 256,
              output_format: str = "files", distributor: str = "multiprocessing", processes: int = 1, threads: int = 16,
              timeout: int = 10, retries: int = 0, shard_size: int = 1000, url_column: str = "url", caption_column: str = "caption",
              force: bool = False, seed: Optional[int] = None, spark_master: Optional[str] = None) -> RealResult:
    """Select caption/URL rows for a build's objects and unusual pairs, download them, write the `real` split."""
    from aobench.extras import require
    from aobench.real import download as dl
    from aobench.real.select import Matcher, read_table, select_rows

    require("real", "aobench real")  # before selecting rows, not after
    build_dir = Path(build_dir)
    dl.check_options(output_format, distributor, spark_master)
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
    real = RealDir(build_dir)
    BuildDir(build_dir).file_path(real.SPLIT, "the real split's folder")  # DIR/real may not be a symlink out of the build
    _write_selection(rows, real.selection_path, force)
    dl.download(real.selection_path, real.download_dir, image_size=image_size, output_format=output_format, distributor=distributor,
                processes=processes, threads=threads, timeout=timeout, retries=retries, shard_size=shard_size, spark_master=spark_master)
    return _assemble(build_dir, rows, output_format)


def _assemble(build_dir: Path, rows: list[dict], output_format: str) -> RealResult:
    from aobench.dataset.assemble import build_dataset_dict, save_dataset_dict
    from aobench.real import download as dl

    real = RealDir(build_dir)
    got = {o[dl.ID_COLUMN]: o for o in dl.outcomes(real.download_dir)}
    records, cache, cache_shard = [], None, None
    bd = BuildDir(build_dir)
    with make_progress("images") as progress:
        task = progress.add_task("real split", total=len(rows))
        for r in rows:
            o = got.get(r["aob_id"])
            status = o["status"] if o else "not_downloaded"
            rel = real.image_file(r["aob_id"])
            if status == "success":
                if o["shard"] != cache_shard:
                    cache, cache_shard = dl.shard_images(real.download_dir, output_format, o["shard"]), o["shard"]
                dst = bd.file_path(rel, f"real image {r['aob_id']!r}")  # real/images/ may not be a symlink out
                if not dst.exists():
                    atomic_write_bytes(dst, dl.image_bytes(real.download_dir, o, cache))
            records.append({
                "id": r["aob_id"], "split": SPLIT, "attribute": r["attribute"], "attribute_type": r["attribute_type"],
                "object": r["object"], "object_group": r["object_group"], "pair_status": r["pair_status"], "prompt": r["caption"],
                "seed": NO_SEED, "file": rel if status == "success" else "", "filters": "kept" if status == "success" else status,
                "url": r["url"], **({"error": o["error_message"]} if o and o.get("error_message") else {}),
            })
            progress.advance(task)
    atomic_write_jsonl(real.manifest_path, records)
    # the build's pairs, so the real split's label ids are the build's
    build_pairs = [(p["attribute"], p["object"]) for p in bd.pairs() if p.get("selected", True)] if bd.pairs_path.exists() else []
    save_dataset_dict(build_dataset_dict(records, build_dir, [SPLIT], build_pairs), real.hf_dir)
    st = dl.stats(real.download_dir)
    kept = sum(r["filters"] == "kept" for r in records)
    st.update(selected=len(rows), kept=kept, by_status={s: sum(r["pair_status"] == s for r in records if r["filters"] == "kept") for s in ("unusual", "seen", "object")})
    atomic_write_json(real.stats_path, st)
    return RealResult(out=real.root, selected=len(rows), kept=kept, stats=st)
