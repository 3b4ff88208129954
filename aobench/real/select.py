"""Pick rows of a caption/URL table whose captions mention a build's objects (usual) or its unusual pairs."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Iterator, Optional

from aobench.errors import AobenchError
from aobench.pairs import Pair
from aobench.seeds import stable_int

WORD = re.compile(r"[a-z0-9]+")


def read_table(path: Path, url_column: str = "url", caption_column: str = "caption") -> Iterator[tuple[str, str]]:
    """(url, caption) rows of a parquet, CSV or JSONL table; rows lacking either are skipped."""
    path = Path(path)
    if not path.is_file():
        raise AobenchError(f"--table {path}: no such file")
    suffix = "".join(path.suffixes[-2:]) if path.suffix in (".gz", ".zst") else path.suffix
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        schema = pq.read_schema(path)
        missing = [c for c in (url_column, caption_column) if c not in schema.names]
        if missing:
            raise AobenchError(f"{path}: no column {missing[0]!r} (columns: {', '.join(schema.names[:10])}) — use --url-column/--caption-column")
        for batch in pq.ParquetFile(path).iter_batches(columns=[url_column, caption_column], batch_size=65536):
            d = batch.to_pydict()
            yield from ((u, c) for u, c in zip(d[url_column], d[caption_column]) if u and c)
    elif suffix in (".csv", ".tsv"):
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh, delimiter="\t" if suffix == ".tsv" else ",")
            if reader.fieldnames is None or url_column not in reader.fieldnames or caption_column not in reader.fieldnames:
                raise AobenchError(f"{path}: needs columns {url_column!r} and {caption_column!r} (has {reader.fieldnames}) — use --url-column/--caption-column")
            yield from ((r[url_column], r[caption_column]) for r in reader if r[url_column] and r[caption_column])
    elif suffix in (".jsonl", ".json"):
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    r = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise AobenchError(f"{path}:{n}: not valid JSON ({exc.msg})") from None
                if isinstance(r, dict) and r.get(url_column) and r.get(caption_column):
                    yield r[url_column], r[caption_column]
    else:
        raise AobenchError(f"--table {path}: unknown format {path.suffix!r} — use .parquet, .csv, .tsv or .jsonl")


def _singular(word: str) -> list[str]:
    out = [word]
    if word.endswith("ies"):
        out.append(word[:-3] + "y")
    if word.endswith("es"):
        out.append(word[:-2])
    if word.endswith("s"):
        out.append(word[:-1])
    return out


class Matcher:
    """Finds (attribute or None, object) mentions in a caption from a vocab's surface words.

    Objects are matched as 1-3 word phrases (plural -s/-es/-ies folded); an attribute counts as
    modifying an object when it is one of the two words right before it ("a red striped car").
    """

    def __init__(self, vocab, pairs: list[Pair]):
        names = {p.object for p in pairs}
        self.objects = {k: o.name for k, o in vocab.object_by_phrase.items() if o.name in names}
        attrs = {p.attribute for p in pairs}
        self.attributes = {k: a.name for k, a in vocab.attribute_by_word.items() if a.name in attrs}
        self.max_len = max((len(k.split()) for k in self.objects), default=1)

    def mentions(self, caption: str) -> list[tuple[Optional[str], str]]:
        """Object mentions in order, each with the attribute modifying it (or None)."""
        toks = WORD.findall(caption.lower())
        out = []
        i = 0
        while i < len(toks):
            hit = None
            for n in range(min(self.max_len, len(toks) - i), 0, -1):
                head = toks[i : i + n - 1]
                for last in _singular(toks[i + n - 1]):
                    obj = self.objects.get(" ".join(head + [last]))
                    if obj:
                        hit = (obj, n)
                        break
                if hit:
                    break
            if hit:
                attr = next((self.attributes[t] for t in reversed(toks[max(0, i - 2) : i]) if t in self.attributes), None)
                out.append((attr, hit[0]))
                i += hit[1]
            else:
                i += 1
        return out


def select_rows(rows, pairs: list[Pair], matcher: Matcher, per_object: int, per_pair: int, seed: int) -> list[dict]:
    """Label rows by their first unusual-pair mention, else their first object mention; cap rows per label.

    Labels: `unusual` (an unusual pair of the build), `seen` (a seen pair), `object` (the object only,
    attribute empty). Caps keep the rows with the smallest seeded hash of the URL, so they do not
    depend on table order.
    """
    by_key = {p.key(): p for p in pairs}
    unusual = {k for k, p in by_key.items() if p.status == "unusual"}
    groups: dict[tuple, list[tuple[int, dict]]] = {}
    seen_urls: set[str] = set()
    for url, caption in rows:
        if url in seen_urls:
            continue
        found = matcher.mentions(caption)
        if not found:
            continue
        label = next(((a, o) for a, o in found if (a, o) in unusual), None)
        status = "unusual"
        if label is None:
            a, o = found[0]
            label, status = ((a, o), "seen") if (a, o) in by_key else ((None, o), "object")
        seen_urls.add(url)
        groups.setdefault((status, label), []).append((stable_int(seed, "real", url), {"url": url, "caption": caption}))
    out = []
    for (status, (a, o)), items in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1][1], kv[0][1][0] or "")):
        cap = per_pair if status == "unusual" else per_object
        for _, row in sorted(items, key=lambda t: t[0])[:cap]:
            p = by_key.get((a, o))
            obj_group = p.object_group if p else next((q.object_group for q in pairs if q.object == o), "")
            out.append({**row, "attribute": a or "", "attribute_type": p.attribute_type if p else "", "object": o,
                        "object_group": obj_group, "pair_status": status})
    return out
