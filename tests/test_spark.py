"""The Spark engine on real pyspark — local mode, and a standalone cluster on loopback — counts as the local engine does."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, cli, free_port, run_cli

CAPTIONS = ["a red tiger in the snow", "the tiger is orange", "an orange and black tiger", "a glass teapot", "a wooden teapot on a table",
            "a striped zebra", "the zebra is striped", "a blue goldfish", "a bored man", "a teapot that is red", "a red and white teapot"]  # fmt: skip
SPARK_HOME = Path(__import__("pyspark").__file__).parent


def _corpora(root: Path) -> dict[str, Path]:
    """One corpus per reader Spark uses, each with the bad rows that reader can meet."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    root.mkdir(parents=True, exist_ok=True)
    txt = root / "c.txt"
    txt.write_text("\n".join(CAPTIONS) + "\n\n   \n" + "x" * 10_001 + "\n")  # empty, blank, too long
    gz = root / "c.txt.gz"
    gz.write_bytes(gzip.compress(("\n".join(reversed(CAPTIONS)) + "\n").encode()))
    jl = root / "c.jsonl"
    rows = [json.dumps({"caption": c, "id": i}) for i, c in enumerate(CAPTIONS)]
    jl.write_text("\n".join(rows[:4] + ["{not json", "", "[1, 2]", '{"other": 1}', '{"caption": 3}'] + rows[4:]) + "\n")
    csv = root / "c.csv"
    csv.write_text('id,caption\n1,"a red tiger, in the snow"\n2,\n3,""\n4,"a glass teapot\nthat is blue"\n5,"the ""striped"" zebra"\n'
                   + "".join(f"{i},{c}\n" for i, c in enumerate(CAPTIONS, 6)))  # fmt: skip
    pdir = root / "laion"
    pdir.mkdir(exist_ok=True)
    pq.write_table(pa.table({"TEXT": CAPTIONS[:6] + [None, ""], "url": [f"u{i}" for i in range(8)]}), pdir / "part-0.parquet", row_group_size=3)
    pq.write_table(pa.table({"TEXT": CAPTIONS[6:], "url": [f"v{i}" for i in range(5)]}), pdir / "part-1.parquet")
    empty = root / "empty.txt"
    empty.write_text("")
    return {"txt": txt, "gz": gz, "jsonl": jl, "csv": csv, "parquet": pdir, "empty": empty}


@pytest.fixture(scope="module")
def spark():
    """One local[2] session for the module (what `--spark-master local[2]` makes), stopped at the end."""
    from aobench.spark_session import get_session

    session = get_session("local[2]", "aobench-tests")
    yield session
    session.stop()


@pytest.mark.slow
def test_spark_equals_local_engine_for_every_reader(spark, tmp_path):
    from aobench.text.engine import count_corpora
    from aobench.text.spark import count_with_spark

    for name, src in _corpora(tmp_path).items():
        local, local_types = count_corpora([str(src)], "imagenet-ao", keep_caption_pairs=True)
        ours, types = count_with_spark([str(src)], "imagenet-ao", keep_caption_types=True, spark=spark, partitions=3)
        assert ours.to_dict() == local.to_dict(), name
        assert types == local_types, name
    # known answers, so equal-but-wrong cannot pass: the parquet folder's null and empty caption, the JSON lines' bad rows
    assert ours.n_captions == 0 and ours.n_skipped == {"empty_file": 1}
    pq_counts, _ = count_with_spark([str(tmp_path / "laion")], "imagenet-ao", spark=spark)
    assert pq_counts.n_captions == len(CAPTIONS) and pq_counts.n_skipped == {"null": 1, "empty": 1}
    assert pq_counts.pair_count("red", "teapot") == 2 and pq_counts.pair_count("striped", "zebra") == 2
    jl, _ = count_with_spark([str(tmp_path / "c.jsonl")], "imagenet-ao", spark=spark)
    assert jl.n_skipped == {"malformed_json": 2, "empty": 1, "missing_column": 1, "not_text": 1}


@pytest.mark.slow
def test_spark_open_vocabulary_equals_local(spark, tmp_path):
    from aobench.text.engine import count_corpora
    from aobench.text.spark import count_with_spark

    src = _corpora(tmp_path)["csv"]
    local, _ = count_corpora([str(src)], None)
    ours, _ = count_with_spark([str(src)], None, spark=spark)
    assert ours.to_dict() == local.to_dict() and ours.pair_count("bored", "man") == 1


@pytest.mark.slow
def test_spark_resumes_per_file(spark, tmp_path, monkeypatch):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from aobench.text import spark as engine
    from aobench.text.engine import count_corpora

    pdir = _corpora(tmp_path / "c")["parquet"]
    first, _ = engine.count_with_spark([str(pdir)], "imagenet-ao", spark=spark, shard_dir=tmp_path / "shards")
    assert len(list((tmp_path / "shards").glob("spark-*.json"))) == 2  # one shard per Parquet file, not per folder

    pq.write_table(pa.table({"TEXT": ["a striped teapot", "a blue zebra"]}), pdir / "part-2.parquet")
    read = []
    real_read = engine._read
    monkeypatch.setattr(engine, "_read", lambda s, fmt, paths: read.append([Path(p).name for p in paths]) or real_read(s, fmt, paths))
    again, _ = engine.count_with_spark([str(pdir)], "imagenet-ao", spark=spark, shard_dir=tmp_path / "shards")
    assert read == [["laion"], ["part-2.parquet"]]  # the folder is listed, only the new file is counted
    assert again.to_dict() == count_corpora([str(pdir)], "imagenet-ao")[0].to_dict()
    assert again.n_captions == first.n_captions + 2 and again.pair_count("striped", "teapot") == 1


@pytest.mark.slow
def test_active_session_wins_and_a_conflicting_master_is_one_line(spark):
    from aobench.errors import AobenchError
    from aobench.spark_session import get_session

    assert get_session() is spark and get_session("local[2]") is spark
    with pytest.raises(AobenchError, match=r"--spark-master local\[3\]: a Spark session is already running on local\[2\]"):
        get_session("local[3]")


def test_counts_rows_roundtrip_every_field():
    from collections import Counter

    from aobench.text.counts import Counts
    from aobench.text.spark import _flatten, _unflatten

    c = Counts()
    c.add_caption([("red", "tiger"), ("orange", "tiger")])
    c.add_caption([])
    c.skip("empty", 2)
    types = Counter({(("orange", "tiger"), ("red", "tiger")): 1})
    rows = list(_flatten("f", c, types))
    back, back_types = _unflatten([r[1:] for r in rows] + [r[1:] for r in rows])  # two partitions' rows, summed
    assert back.to_dict() == (c + c).to_dict() and back_types == types + types


SESSION_FIRST = """
import os, sys
from pyspark.sql import SparkSession
spark = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false").getOrCreate()  # before aobench, as a notebook would
assert spark.sparkContext.pythonExec == "python3", spark.sparkContext.pythonExec
sys.path.insert(0, sys.argv[1])  # the driver finds aobench; its Python workers are told nothing
from aobench.text.spark import count_with_spark
counts, _ = count_with_spark([sys.argv[2]], "imagenet-ao")
assert spark.sparkContext.pythonExec == "python3"  # the session's own setting is left as it was
print(counts.n_captions, counts.n_events)
"""


@pytest.mark.slow
def test_session_made_before_aobench_still_runs_aobench_on_workers(tmp_path):
    src = _corpora(tmp_path)["txt"]
    # no PYSPARK_PYTHON, no PYTHONPATH, and `python3` on PATH an interpreter without pyspark or aobench
    env = {k: v for k, v in os.environ.items() if k not in ("PYSPARK_PYTHON", "PYTHONPATH", "SPARK_MASTER", "SPARK_REMOTE")}
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").write_text("#!/bin/sh\necho 'not the interpreter aobench needs' >&2\nexit 3\n")
    (bin_dir / "python3").chmod(0o755)
    env["PATH"] = f"{bin_dir}:{env.get('PATH', '')}"
    r = subprocess.run([sys.executable, "-c", SESSION_FIRST, str(REPO), str(src)], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.split() == ["11", "12"]


@pytest.mark.slow
def test_cli_spark_master_local1_resumes_and_matches_local(tmp_path, capsys):
    src = _corpora(tmp_path)["jsonl"]
    r = run_cli("nmi", src, "--engine", "spark", "--spark-master", "local[1]", "--out", tmp_path / "spark", "--bootstrap", "20")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "[Stage" not in r.stderr  # Spark's own console bar is off; aobench draws its bar
    rc, _, err = cli(capsys, "nmi", src, "--out", tmp_path / "local", "--bootstrap", "20")  # the local reference: in this process
    assert rc == 0, err
    ours, theirs = (json.loads((tmp_path / d / "nmi.json").read_text()) for d in ("spark", "local"))
    assert ours.pop("engine") == "spark" and theirs.pop("engine") == "local"
    assert ours == theirs  # counts, skips and the bootstrap CI (from the caption types) alike
    assert (tmp_path / "spark" / "pairs.csv").read_text() == (tmp_path / "local" / "pairs.csv").read_text()
    again = run_cli("nmi", src, "--engine", "spark", "--spark-master", "local[1]", "--out", tmp_path / "spark", "--bootstrap", "20")
    assert again.returncode == 0 and "1 of 1 files resumed from saved shards" in again.stderr


def test_spark_flags_need_the_spark_engine(tmp_path, capsys):
    src = _corpora(tmp_path)["txt"]
    code, _, err = cli(capsys, "nmi", src, "--spark-master", "local[1]", "--out", tmp_path / "o")
    assert code == 2 and "need --engine spark" in err


# -- a standalone cluster on loopback: a master and a worker from pyspark's own classes -------------
def _wait_for(log: Path, text: str, proc: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in log.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            raise RuntimeError(f"{log.name}: exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)
    raise RuntimeError(f"{log.name}: no {text!r} after {timeout:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def standalone(tmp_path_factory):
    """`spark://127.0.0.1:PORT`: a Spark master and one 1-core worker, both on loopback, torn down after."""
    root = tmp_path_factory.mktemp("standalone")
    # what sbin/load-spark-env.sh would export; the worker's executor launcher needs the Scala version of the jars
    scala = next(SPARK_HOME.glob("jars/spark-core_*.jar")).name.split("_")[1].split("-")[0]
    env = {**os.environ, "SPARK_HOME": str(SPARK_HOME), "SPARK_SCALA_VERSION": scala, "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_LOCAL_DIRS": str(root / "local")}
    port = free_port()
    java = [os.path.join(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else "java", "-Xmx256m", "-cp", f"{SPARK_HOME}/jars/*"]
    procs = []
    try:
        with open(root / "master.log", "wb") as log:
            procs.append(subprocess.Popen(java + ["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port), "--webui-port", "0"],
                                          stdout=log, stderr=subprocess.STDOUT, env=env))  # fmt: skip
        _wait_for(root / "master.log", "ALIVE", procs[0])
        with open(root / "worker.log", "wb") as log:
            procs.append(subprocess.Popen(java + ["org.apache.spark.deploy.worker.Worker", f"spark://127.0.0.1:{port}", "--host", "127.0.0.1",
                                                  "--cores", "1", "--memory", "1g", "--webui-port", "0", "--work-dir", str(root / "work")],
                                          stdout=log, stderr=subprocess.STDOUT, env=env))  # fmt: skip
        _wait_for(root / "worker.log", "Successfully registered with master", procs[1])
        yield f"spark://127.0.0.1:{port}", env
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


@pytest.mark.slow
def test_standalone_cluster_counts_equal_local(standalone, tmp_path, capsys):
    master, env = standalone
    corpora = _corpora(tmp_path)
    srcs = [corpora["parquet"], corpora["csv"]]
    # the driver runs as a user's would: no PYTHONPATH for the executors to inherit (they get aobench's path shipped)
    env = {k: v for k, v in env.items() if k != "PYTHONPATH"}
    code = "import sys; sys.path.insert(0, sys.argv[1]); from aobench.cli import main; main(sys.argv[2:])"
    args = ["nmi", *map(str, srcs), "--engine", "spark", "--spark-master", master, "--out", str(tmp_path / "cluster"), "--bootstrap", "20",
            "--spark-partitions", "2"]  # fmt: skip
    r = subprocess.run([sys.executable, "-c", code, str(REPO), *args], capture_output=True, text=True, env=env, timeout=500)
    assert r.returncode == 0, r.stderr[-4000:]
    rc, _, err = cli(capsys, "nmi", *srcs, "--out", tmp_path / "local", "--bootstrap", "20")  # the local reference: in this process
    assert rc == 0, err
    for sub in ("", "corpora/laion", "corpora/c"):
        ours, theirs = (json.loads((tmp_path / d / sub / "nmi.json").read_text()) for d in ("cluster", "local"))
        assert ours.pop("engine") == "spark" and theirs.pop("engine") == "local"
        assert ours == theirs, sub
        assert (tmp_path / "cluster" / sub / "counts.json").read_text() == (tmp_path / "local" / sub / "counts.json").read_text()
    pooled = json.loads((tmp_path / "cluster" / "counts.json").read_text())
    assert pooled["n_captions"] == 2 * len(CAPTIONS) + 3 and pooled["n_skipped"] == {"empty": 3, "null": 1}


USER_CONF = """
import sys
sys.path.insert(0, sys.argv[1])
from aobench.spark_session import get_session
spark = get_session()
conf = spark.sparkContext.getConf()
print(spark.sparkContext.master, conf.get("spark.ui.showConsoleProgress"), conf.get("spark.log.level"), conf.get("spark.ui.enabled", "unset"))
"""


@pytest.mark.slow
def test_user_master_and_conf_are_never_overridden(tmp_path):
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir()
    (conf_dir / "spark-defaults.conf").write_text("spark.ui.showConsoleProgress   true\n")
    env = {**os.environ, "SPARK_MASTER": "local[1]", "SPARK_CONF_DIR": str(conf_dir), "PYSPARK_SUBMIT_ARGS": "--conf spark.log.level=WARN pyspark-shell"}
    env.pop("SPARK_REMOTE", None)
    r = subprocess.run([sys.executable, "-c", USER_CONF, str(REPO)], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    # the user's master, console bar and log level stand; aobench fills only the gap (no web UI in local mode)
    assert r.stdout.split() == ["local[1]", "true", "WARN", "false"]
