"""The `aobench nmi` output directory: its layout, its writer and its one reader, owned here and nowhere else.

An nmi DIR (written by `aobench nmi`, read by recipes' `pairs.counts`, filters, foils, the report and the study):

    nmi.json          NMI, MI, entropies, event/caption/skip counts, CI, corpus name, vocab, engine, sources
    pairs.csv         per pair: attribute, object, count, pmi, npmi, seen
    counts.json       the sparse counts (`aobench.text.counts.Counts`)
    shards/           per-file counts a rerun resumes from (named and written by the engines, aobench.text.engine)
    corpora/<name>/   with several corpora: each corpus's own nmi.json, pairs.csv and counts.json
    comparison.csv    with several corpora: one row per corpus
    source.yaml       optional: where the captions came from, their licence, the command (the built-ins ship one)

The built-in corpus counts (`builtin:NAME`: the folders of the `aobench.corpora` package) are this format.
A `Corpus` is one such dir as the other stages see it: its name, a description, and its counts, statistics
and pair rows, each read on first use. Writers take dicts (an nmi.json document, comparison rows, pair rows)
and write every key they are given, so a new statistic is one edit where it is computed.
"""

from __future__ import annotations

import csv
import io
import json
import math
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

import yaml

from aobench.errors import AobenchError
from aobench.io import atomic_write_json, atomic_write_text
from aobench.text.counts import Counts

NMI_JSON = "nmi.json"
PAIRS_CSV = "pairs.csv"
COUNTS_JSON = "counts.json"
COMPARISON_CSV = "comparison.csv"
SHARDS = "shards"
CORPORA = "corpora"
SOURCE = "source.yaml"

PAIRS_FIELDS = ("attribute", "object", "count", "pmi", "npmi", "seen")  # first columns of pairs.csv; further keys of the rows follow
# comparison.csv: one row per corpus, these columns of its nmi.json; the interval columns (ci_* of NMI, ami_ci_*,
# *_at_n_low/high) are flattened from `ci` and `at_n` by aobench.text.analyze.comparison_row
COMPARISON_FIELDS = ("corpus", "nmi", "ci_estimate", "ci_low", "ci_high", "ami", "ami_ci_estimate", "ami_ci_low", "ami_ci_high", "expected_mi",
                     "at_n", "nmi_at_n", "nmi_at_n_low", "nmi_at_n_high", "ami_at_n", "ami_at_n_low", "ami_at_n_high",
                     "mi", "h_attribute", "h_object", "n_events", "n_captions", "n_skipped", "n_negated", "n_seen_pairs")  # fmt: skip
BUILTIN = "builtin:"


class NmiDir:
    """One `aobench nmi` output dir (or a `corpora/<name>/` inside one): paths, writers, readers."""

    def __init__(self, root: str | Path, counts_file: Optional[str | Path] = None):
        self.root = Path(root)
        self._counts_file = Path(counts_file) if counts_file is not None else None  # a counts JSON given by its own path

    def __repr__(self) -> str:
        return f"NmiDir({str(self.root)!r})"

    # --- layout ------------------------------------------------------------------------------------
    @property
    def nmi_path(self) -> Path:
        return self.root / NMI_JSON

    @property
    def pairs_path(self) -> Path:
        return self.root / PAIRS_CSV

    @property
    def counts_path(self) -> Path:
        return self._counts_file or self.root / COUNTS_JSON

    @property
    def comparison_path(self) -> Path:
        return self.root / COMPARISON_CSV

    @property
    def shards_dir(self) -> Path:
        return self.root / SHARDS

    @property
    def source_path(self) -> Path:
        return self.root / SOURCE

    @property
    def corpora_dir(self) -> Path:
        return self.root / CORPORA

    def corpus(self, name: str) -> "NmiDir":
        """The dir of one corpus of a multi-corpus run (`corpora/<name>/`)."""
        return NmiDir(self.corpora_dir / name)

    def corpus_dirs(self) -> list["NmiDir"]:
        """The per-corpus dirs present, by name."""
        return [NmiDir(p) for p in sorted(self.corpora_dir.iterdir()) if p.is_dir()] if self.corpora_dir.is_dir() else []

    def has_stats(self) -> bool:
        """Whether nmi.json is there."""
        return self.nmi_path.is_file()

    def has_counts(self) -> bool:
        """Whether the counts are there."""
        return self.counts_path.is_file()

    # --- writers -----------------------------------------------------------------------------------
    def write_counts(self, counts: Counts) -> Path:
        """counts.json, atomically."""
        atomic_write_json(self.counts_path, counts.to_dict())
        return self.counts_path

    def write(self, counts: Counts, stats: dict, pair_rows: Iterable[dict]) -> None:
        """counts.json, pairs.csv, then nmi.json (each atomic; nmi.json last, so its presence means the three agree)."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.write_counts(counts)
        atomic_write_text(self.pairs_path, pairs_csv(list(pair_rows)))
        atomic_write_json(self.nmi_path, stats)

    def write_comparison(self, stats: Sequence[dict], fields: Sequence[str] = COMPARISON_FIELDS) -> Path:
        """comparison.csv: one row per corpus (its nmi.json document), the `fields` columns; undefined numbers empty."""
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(fields), lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        for r in stats:
            ci = parse_ci(r.get("ci"))
            row = {"ci_low": ci[0] if ci else "", "ci_high": ci[1] if ci else "", **r}
            # undefined (NaN, or not measured): empty, as null in JSON
            w.writerow({k: "" if v is None or (isinstance(v, float) and not math.isfinite(v)) else v for k, v in row.items()})
        atomic_write_text(self.comparison_path, buf.getvalue())
        return self.comparison_path

    def drop_corpora(self, keep: Sequence[str]) -> None:
        """Remove what an earlier run with other corpora left: `corpora/<name>/` not in `keep`, and comparison.csv when none is kept.

        Only folders holding an nmi.json (this format's) are removed; anything else under corpora/ is the user's.
        """
        import shutil

        for d in self.corpus_dirs():
            if d.root.name not in keep and not d.root.is_symlink() and d.has_stats():
                shutil.rmtree(d.root)
        if self.corpora_dir.is_dir() and not any(self.corpora_dir.iterdir()):
            self.corpora_dir.rmdir()
        if not keep:
            self.comparison_path.unlink(missing_ok=True)

    # --- readers -----------------------------------------------------------------------------------
    def stats(self, what: str = "", tolerant: bool = False) -> dict:
        """nmi.json; `tolerant`: {} when missing or malformed (a description, not a measurement), else a one-line error (`what` names the flag)."""
        f = self.nmi_path
        if not f.is_file():
            if tolerant:
                return {}
            raise AobenchError(f"{what + ' ' if what else ''}{self.root}: no {NMI_JSON} — pass a directory written by `aobench nmi --out DIR`")
        try:
            doc = json.loads(f.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            if tolerant:
                return {}
            line = f":{exc.lineno}" if isinstance(exc, json.JSONDecodeError) else ""
            raise AobenchError(f"{f}{line}: not valid JSON ({getattr(exc, 'msg', exc)})") from None
        if not isinstance(doc, dict):
            if tolerant:
                return {}
            raise AobenchError(f"{f}: not an `aobench nmi` result (a JSON object is expected)")
        return doc

    def counts(self) -> Counts:
        """counts.json as `Counts`; a one-line error when missing or malformed."""
        f = self.counts_path
        if not f.exists():
            raise AobenchError(f"no saved counts at {self._counts_file or self.root} (expected an `aobench nmi` output dir or a counts.json)")
        try:
            return Counts.from_dict(json.loads(f.read_text()))
        except (ValueError, KeyError, TypeError) as exc:
            raise AobenchError(f"malformed counts file {f}: {exc}") from None

    def pairs(self) -> list[dict]:
        """The rows of pairs.csv (`count` as a number, `pmi` a number or None), or [] when there is none."""
        if not self.pairs_path.exists():
            return []
        with open(self.pairs_path, newline="", encoding="utf-8") as fh:
            return [{**row, "count": _num(row.get("count")) or 0.0, "pmi": _num(row.get("pmi"))} for row in csv.DictReader(fh)]

    def source(self) -> dict:
        """source.yaml (where the captions came from), or {} when there is none."""
        f = self.source_path
        if not f.is_file():
            return {}
        try:
            data = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise AobenchError(f"malformed {f}: {exc}") from None
        return data if isinstance(data, dict) else {}


def pairs_csv(rows: list[dict]) -> str:
    """pairs.csv text: PAIRS_FIELDS then any further keys of the rows; floats to 6 decimals, booleans as 0/1."""
    fields = list(PAIRS_FIELDS) + [k for k in (rows[0] if rows else {}) if k not in PAIRS_FIELDS]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: (int(v) if isinstance(v, bool) else f"{v:.6f}" if isinstance(v, float) else v) for k, v in r.items()})
    return buf.getvalue()


def _num(x: Any) -> Optional[float]:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def parse_ci(ci: Any, key: str = "nmi") -> Optional[tuple[float, float]]:
    """A CI as (low, high) from a list/tuple, a dict with low/high (or lo/hi, lower/upper) keys, or `aobench nmi`'s
    {"nmi": {...}, "ami": {...}} (the `key` statistic's)."""
    if isinstance(ci, dict) and isinstance(ci.get(key), dict):
        ci = ci[key]
    if isinstance(ci, (list, tuple)) and len(ci) == 2:
        lo, hi = _num(ci[0]), _num(ci[1])
    elif isinstance(ci, dict):
        lo = next((_num(ci[k]) for k in ("low", "lo", "lower", "min") if k in ci), None)
        hi = next((_num(ci[k]) for k in ("high", "hi", "upper", "max") if k in ci), None)
    else:
        return None
    return (lo, hi) if lo is not None and hi is not None else None


# --- references: builtin:NAME or a path -------------------------------------------------------------
def builtin_root() -> Path:
    """Folder holding the built-in corpora (inside the installed package)."""
    return Path(str(resources.files("aobench.corpora")))


def list_builtin() -> dict[str, dict]:
    """Built-in corpus names with their source.yaml."""
    return {p.parent.name: NmiDir(p.parent).source() for p in sorted(builtin_root().glob(f"*/{SOURCE}"))}


def resolve(ref: str | Path) -> NmiDir:
    """`builtin:NAME`, an nmi dir, its nmi.json, or a counts JSON file → its NmiDir; unknown built-ins list the valid ones."""
    text = str(ref)
    if text.startswith(BUILTIN):
        name = text[len(BUILTIN) :]
        d = NmiDir(builtin_root() / name)
        if not name or not d.has_counts():
            raise AobenchError(f"unknown built-in corpus {text!r}; built-in: {', '.join(BUILTIN + n for n in list_builtin()) or 'none'} (or give an `aobench nmi` output dir)")
        return d
    p = Path(text)
    if p.is_file():
        return NmiDir(p.parent) if p.name == NMI_JSON else NmiDir(p.parent, counts_file=p)
    return NmiDir(p)


KEEP = ("name", "source", "url", "licence", "attribution", "n_captions", "vocab", "command", "versions", "n_events")


def corpus_info(ref: str | Path) -> dict:
    """What a counts reference says about itself (source.yaml, else nmi.json): name, source, licence, attribution, n_captions."""
    d = resolve(ref)
    info = {**d.stats(tolerant=True), **d.source()}
    text = str(ref)
    info["name"] = str(info.get("name") or (text[len(BUILTIN) :] if text.startswith(BUILTIN) else d.root.name))
    return {k: info[k] for k in KEEP if k in info}


def describe(info: dict) -> str:
    """One line: name — source (captions; licence; attribution)."""
    parts = [f"{int(info['n_captions']):,} captions"] if info.get("n_captions") else []
    parts += [str(info[k]) for k in ("licence", "attribution") if info.get(k)]
    src = f" — {info['source']}" if info.get("source") else ""
    return f"{info.get('name', '?')}{src}" + (f" ({'; '.join(parts)})" if parts else "")


class Corpus:
    """One corpus as the stages see it: name, description (`info`), and its counts, stats (nmi.json) and pair rows.

    Read from its nmi dir on first use, or given in memory (`Corpus("mine", counts=c)`).
    """

    def __init__(self, name: str, ref: str = "", dir: Optional[NmiDir] = None, info: Optional[dict] = None, *,
                 counts: Optional[Counts] = None, stats: Optional[dict] = None, pairs: Optional[list] = None):  # fmt: skip
        self.name, self.ref, self.dir, self.info = name, ref or name, dir, dict(info or {})
        self._counts, self._stats, self._pairs = counts, stats, pairs

    def __repr__(self) -> str:
        return f"Corpus({self.name!r}, {self.ref!r})"

    @property
    def path(self) -> Optional[Path]:
        """The nmi dir (None for counts in memory)."""
        return self.dir.root if self.dir is not None else None

    @property
    def counts(self) -> Counts:
        """The sparse counts (counts.json)."""
        if self._counts is None:
            self._counts = self.dir.counts() if self.dir is not None else Counts()
        return self._counts

    @property
    def stats(self) -> dict:
        """nmi.json."""
        if self._stats is None:
            self._stats = self.dir.stats("--corpus") if self.dir is not None else {}
        return self._stats

    @property
    def pairs(self) -> list[dict]:
        """pairs.csv rows ([] when absent)."""
        if self._pairs is None:
            self._pairs = self.dir.pairs() if self.dir is not None else []
        return self._pairs

    @property
    def nmi(self) -> Optional[float]:
        """The corpus NMI, or None when missing."""
        return _num(self.stats.get("nmi"))

    @property
    def ci(self) -> Optional[tuple[float, float]]:
        """(low, high) of the NMI confidence interval, whatever shape `ci` was written in."""
        return parse_ci(self.stats.get("ci"))

    def pair_count(self, attribute: str, obj: str) -> int:
        """How often the corpus pairs this attribute with this object (the name the caption used)."""
        return self.counts.pair_count(attribute, obj)

    def negated_count(self, attribute: str, obj: str) -> int:
        """Negated mentions ("the umbrella is not blue") of the pair, when the counts kept them apart; else 0."""
        table = getattr(self.counts, "negated", None)
        return int(table.get((attribute.lower(), obj.lower()), 0)) if table else 0

    def describe(self) -> str:
        """One line: name, source, caption count, licence, attribution."""
        return describe(self.info)


@lru_cache(maxsize=8)
def _load_evidence(ref: str, mtime_ns: int) -> Corpus:
    d = resolve(ref)
    counts = d.counts()  # fails now on missing or malformed counts
    info = corpus_info(ref)
    info["n_captions"] = int(info.get("n_captions") or counts.n_captions)
    return Corpus(info["name"], ref, d, info, counts=counts)


def load_corpus(ref: str | Path, need: str = "counts") -> Corpus:
    """`builtin:NAME`, an `aobench nmi` dir (or its nmi.json / a counts JSON) as a Corpus.

    need="counts" (pair evidence: recipes, filters, foils): the counts must be there, read now and cached while
    the file is unchanged; the name is source.yaml's, else the built-in's or the folder's (what cards list).
    need="stats" (the report): nmi.json must be there, counts are not needed; the name is the measured corpus's
    (nmi.json `corpus`), else the folder's.
    """
    if need == "stats":
        d = resolve(ref)
        stats = d.stats("--corpus")
        return Corpus(str(stats.get("corpus") or stats.get("name") or d.root.name), str(ref), d, stats=stats)
    f = resolve(ref).counts_path
    mtime = f.stat().st_mtime_ns if f.exists() else 0
    return _load_evidence(str(ref), mtime)


def load_counts(ref: str | Path) -> Counts:
    """Counts saved by `aobench nmi` (its output dir), a counts.json, or `builtin:NAME`."""
    return resolve(ref).counts()
