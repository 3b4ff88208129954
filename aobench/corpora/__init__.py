"""Caption-corpus counts a recipe checks its pairs against: built-in ones shipped as data, or `aobench nmi` dirs.

A reference is `builtin:NAME` (a folder beside this file: `counts.json` and `nmi.json` from `aobench nmi`, and
`source.yaml` saying where the captions came from, their licence, attribution, caption count and the exact
command that made the counts) or a path to an `aobench nmi` output dir (a `source.yaml` there is read too).
Only derived counts ship, never captions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from aobench.errors import AobenchError

BUILTIN = "builtin:"
SOURCE_FILE = "source.yaml"


def builtin_root() -> Path:
    """Folder holding the built-in corpora (inside the installed package)."""
    return Path(str(resources.files("aobench.corpora")))


def list_builtin() -> dict[str, dict]:
    """Built-in corpus names with their source.yaml."""
    return {p.parent.name: _read_source(p.parent) for p in sorted(builtin_root().glob(f"*/{SOURCE_FILE}"))}


def resolve(ref: str | Path) -> Path:
    """`builtin:NAME` or a path → the counts dir (or counts.json file); unknown built-ins list the valid ones."""
    text = str(ref)
    if text.startswith(BUILTIN):
        name = text[len(BUILTIN) :]
        p = builtin_root() / name
        if not (p / "counts.json").is_file():
            raise AobenchError(f"unknown built-in corpus {text!r}; built-in: {', '.join(BUILTIN + n for n in list_builtin()) or 'none'} (or give an `aobench nmi` output dir)")
        return p
    return Path(text)


def _read_source(folder: Path) -> dict:
    f = folder / SOURCE_FILE
    if not f.is_file():
        return {}
    try:
        data = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise AobenchError(f"malformed {f}: {exc}") from None
    return data if isinstance(data, dict) else {}


def _read_nmi(folder: Path) -> dict:
    f = folder / "nmi.json"
    try:
        return json.loads(f.read_text()) if f.is_file() else {}
    except ValueError:
        return {}


KEEP = ("name", "source", "url", "licence", "attribution", "n_captions", "vocab", "command", "versions", "n_events")


def corpus_info(ref: str | Path) -> dict:
    """What a counts reference says about itself (source.yaml, else nmi.json): name, source, licence, attribution, n_captions."""
    path = resolve(ref)
    folder = path if path.is_dir() else path.parent
    info = {**_read_nmi(folder), **_read_source(folder)}
    text = str(ref)
    info["name"] = str(info.get("name") or (text[len(BUILTIN) :] if text.startswith(BUILTIN) else folder.name))
    return {k: info[k] for k in KEEP if k in info}


def describe(info: dict) -> str:
    """One line: name — source (captions; licence; attribution)."""
    parts = [f"{int(info['n_captions']):,} captions"] if info.get("n_captions") else []
    parts += [str(info[k]) for k in ("licence", "attribution") if info.get(k)]
    src = f" — {info['source']}" if info.get("source") else ""
    return f"{info.get('name', '?')}{src}" + (f" ({'; '.join(parts)})" if parts else "")


@dataclass
class Corpus:
    """One corpus's pair counts with where they came from (`info`: see `corpus_info`)."""

    name: str
    ref: str
    counts: object  # aobench.text.counts.Counts
    info: dict = field(default_factory=dict)

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
def _load_cached(ref: str, mtime_ns: int) -> Corpus:
    from aobench.text.counts import load_counts

    counts = load_counts(resolve(ref))
    info = corpus_info(ref)
    info["n_captions"] = int(info.get("n_captions") or counts.n_captions)
    return Corpus(name=info["name"], ref=ref, counts=counts, info=info)


def load_corpus(ref: str | Path) -> Corpus:
    """The counts and description of `builtin:NAME` or an `aobench nmi` dir (cached while the files are unchanged)."""
    path = resolve(ref)
    f = path / "counts.json" if path.is_dir() else path
    mtime = f.stat().st_mtime_ns if f.exists() else 0
    return _load_cached(str(ref), mtime)
