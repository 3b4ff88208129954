"""Download a URL list with img2dataset (resize, files or webdataset shards) and read back per-row outcomes."""

from __future__ import annotations

import json
import os
import tarfile
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

from aobench.errors import AobenchError

ID_COLUMN = "aob_id"


def download(url_list: Path, output: Path, *, image_size: int = 256, output_format: str = "files", distributor: str = "multiprocessing",
             processes: int = 1, threads: int = 16, timeout: int = 10, retries: int = 0, shard_size: int = 1000,
             spark_master: Optional[str] = None) -> None:
    """Run img2dataset on `url_list` (parquet with url, caption, aob_id) into `output`; reruns skip finished shards.

    `distributor="pyspark"` runs the shards as Spark tasks in the session `aobench.spark_session` picks (img2dataset
    uses an active session as it finds it), with the driver's Python on the workers unless the user chose one.
    """
    os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")  # albumentations (an img2dataset dep) phones home on import otherwise
    try:
        from img2dataset import download as i2d
    except ImportError:
        from aobench.extras import missing_message

        raise AobenchError(missing_message("real", "aobench real")) from None
    check_options(output_format, distributor, spark_master)
    with _session(distributor, spark_master):
        i2d(
            url_list=str(url_list), input_format="parquet", url_col="url", caption_col="caption", save_additional_columns=[ID_COLUMN],
            output_folder=str(output), output_format=output_format, image_size=image_size, resize_mode="keep_ratio_largest",
            resize_only_if_bigger=True, encode_format="jpg", processes_count=processes, thread_count=threads,
            number_sample_per_shard=shard_size, timeout=timeout, retries=retries, distributor=distributor,
            incremental_mode="incremental",  # resume: shards with a stats file are not fetched again
            enable_wandb=False, compute_hash=None, extract_exif=False,
        )


def check_options(output_format: str, distributor: str, spark_master: Optional[str] = None) -> None:
    """One-line errors for download flags, before anything is written."""
    if output_format not in ("files", "webdataset"):
        raise AobenchError(f"--output-format {output_format!r}: use files or webdataset")
    if distributor not in ("multiprocessing", "pyspark"):
        raise AobenchError(f"--distributor {distributor!r}: use multiprocessing or pyspark")
    if spark_master and distributor != "pyspark":
        raise AobenchError("--spark-master needs --distributor pyspark")
    if distributor == "pyspark":
        from aobench.extras import require

        require("spark", "--distributor pyspark")


@contextmanager
def _session(distributor: str, master: Optional[str]) -> Iterator[None]:
    if distributor != "pyspark":
        yield
        return
    from aobench.spark_session import get_session, is_connect, worker_python

    spark = get_session(master, "aobench-real")
    if is_connect(spark):
        raise AobenchError("--distributor pyspark needs a classic Spark session (img2dataset schedules RDDs), not Spark Connect — give --spark-master a spark://, yarn or local master")
    with worker_python(spark):
        yield


def outcomes(output: Path) -> list[dict]:
    """One dict per attempted row (aob_id, url, caption, status, error_message, shard, key) from the shard parquets."""
    import pyarrow.parquet as pq

    rows = []
    for shard in sorted(Path(output).glob("*.parquet")):
        if not (Path(output) / f"{shard.stem}_stats.json").exists():
            continue  # shard of a killed run: img2dataset refetches it on the next run
        for r in pq.read_table(shard).to_pylist():
            rows.append({**r, "shard": shard.stem})
    return rows


def stats(output: Path) -> dict:
    """Totals over finished shards: count, successes, failed_to_download, failed_to_resize, status and error counts."""
    tot: Counter = Counter()
    status: Counter = Counter()
    for f in sorted(Path(output).glob("*_stats.json")):
        s = json.loads(f.read_text())
        for k in ("count", "successes", "failed_to_download", "failed_to_resize"):
            tot[k] += int(s.get(k, 0))
        status.update(s.get("status_dict", {}))
    return {**{k: tot[k] for k in ("count", "successes", "failed_to_download", "failed_to_resize")}, "status": dict(status)}


def shard_images(output: Path, output_format: str, shard: str) -> dict[str, bytes] | None:
    """{key: JPEG bytes} of a webdataset shard (read once per shard); None for files output (read per key)."""
    if output_format == "files":
        return None
    out = {}
    with tarfile.open(Path(output) / f"{shard}.tar") as tar:
        for m in tar.getmembers():
            if m.name.endswith(".jpg"):
                out[m.name[:-4]] = tar.extractfile(m).read()
    return out


def image_bytes(output: Path, row: dict, shard_cache: dict | None) -> bytes:
    """The downloaded JPEG of one successful row."""
    if shard_cache is not None:
        return shard_cache[row["key"]]
    return (Path(output) / row["shard"] / f"{row['key']}.jpg").read_bytes()
