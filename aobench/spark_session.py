"""The Spark session aobench's Spark jobs run in: the user's master and conf win, aobench only fills gaps.

Master, first found: `--spark-master` (`sc://...` is Spark Connect), the active session (a notebook's, or the
one `spark-submit` made), `SPARK_REMOTE` (Spark Connect), `SPARK_MASTER`, the master `spark-submit` or
spark-defaults.conf set, else `local[*]`. Conf aobench fills only when the user set nothing: no console progress
bar (aobench draws its own), log level ERROR, no web UI in local mode. Python workers run the driver's
interpreter unless PYSPARK_PYTHON or spark.pyspark.python names another (`worker_python`).
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

from aobench.errors import AobenchError

SHELL_PROGRESS = "spark.ui.showConsoleProgress"


def is_connect(spark) -> bool:
    """A Spark Connect session (no SparkContext, no JVM in this process)."""
    return type(spark).__module__.startswith("pyspark.sql.connect")


def master_of(spark) -> Optional[str]:
    """The master URL a session runs on (`sc://...` for Spark Connect)."""
    if is_connect(spark):
        return None  # a Connect client does not know the server's master
    return spark.sparkContext.master


def _user_conf_files() -> list[Path]:
    conf_dir = os.environ.get("SPARK_CONF_DIR") or (Path(os.environ["SPARK_HOME"]) / "conf" if os.environ.get("SPARK_HOME") else None)
    return [Path(conf_dir) / "spark-defaults.conf"] if conf_dir else []


def _user_set(key: str, conf, own_gateway: bool) -> bool:
    """Did the user set `key` (spark-submit --conf, spark-defaults.conf, PYSPARK_SUBMIT_ARGS)?"""
    if not conf.contains(key):
        return False
    if key != SHELL_PROGRESS or not own_gateway:
        return True
    # pyspark's own gateway runs spark-submit as a shell, which turns the console bar on unless told otherwise:
    # that is the user's choice only where they wrote it down
    if key in os.environ.get("PYSPARK_SUBMIT_ARGS", ""):
        return True
    return any(f.is_file() and any(line.split()[:1] == [key] for line in f.read_text().splitlines()) for f in _user_conf_files())


def get_session(master: Optional[str] = None, app_name: str = "aobench"):
    """The active Spark session, or a new one on the master the user chose (see the module doc for the order)."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        current = master_of(active)
        if master and current and master != current:
            raise AobenchError(f"--spark-master {master}: a Spark session is already running on {current} — stop it first, or leave out --spark-master to use it")
        return active
    if (master or "").startswith("sc://") or (not master and os.environ.get("SPARK_REMOTE")):
        builder = SparkSession.builder.appName(app_name)
        return (builder.remote(master) if master else builder).getOrCreate()

    from pyspark import SparkConf, SparkContext

    own_gateway = "PYSPARK_GATEWAY_PORT" not in os.environ  # else spark-submit started this process and its JVM
    SparkContext._ensure_initialized()  # the JVM first, so SparkConf() holds spark-defaults.conf and --conf values
    conf = SparkConf()
    master = master or os.environ.get("SPARK_MASTER") or conf.get("spark.master", None) or "local[*]"
    builder = SparkSession.builder.master(master)
    if own_gateway or not conf.contains("spark.app.name"):
        builder = builder.appName(app_name)
    defaults = {SHELL_PROGRESS: "false", "spark.log.level": "ERROR"}
    if master.startswith("local"):
        defaults["spark.ui.enabled"] = "false"
    for key, value in defaults.items():
        if not _user_set(key, conf, own_gateway):
            builder = builder.config(key, value)
    return builder.getOrCreate()


def _chosen_python(spark) -> Optional[str]:
    if os.environ.get("PYSPARK_PYTHON"):
        return os.environ["PYSPARK_PYTHON"]
    return spark.sparkContext.getConf().get("spark.pyspark.python", None)


@contextmanager
def worker_python(spark) -> Iterator[None]:
    """Python functions planned inside run on the driver's interpreter, unless the user chose one.

    A session made before aobench was imported (a notebook's) runs `python3` from PATH, which may lack
    aobench, pyarrow or spaCy; the interpreter is fixed when a function is planned, so the session's own
    setting is restored afterwards.
    """
    if is_connect(spark):
        yield  # the server's Python; nothing to set from here
        return
    sc = spark.sparkContext
    before = sc.pythonExec
    sc.pythonExec = _chosen_python(spark) or sys.executable
    try:
        yield
    finally:
        sc.pythonExec = before


def package_root() -> str:
    """The folder holding the `aobench` package this driver imported (shipped to workers as a path)."""
    return str(Path(__file__).resolve().parents[1])  # this module sits in the package's top folder
