"""Pick rows of a caption/URL table whose captions mention a build's objects (usual) or its unusual pairs."""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path
from typing import Iterable, Iterator, Optional

from aobench.errors import AobenchError
from aobench.pairs import Pair
from aobench.seeds import stable_int

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


class Matcher:
    """Finds (attribute or None, object) mentions in captions with the extraction rules of `aobench.text.parse`.

    Objects and attributes are those of the build's pairs. Each object mention comes with every attribute the
    parse attaches to it ("a red, striped square" → red–square, striped–square), or None when it has none;
    negated mentions ("no red squares") are no mentions.
    """

    def __init__(self, vocab, pairs: list[Pair], extractor=None):
        from aobench.text.parse import Extractor

        self.objects = {p.object.lower(): p.object for p in pairs}
        self.attributes = {p.attribute.lower(): p.attribute for p in pairs}
        # vocab classes only: a photo of "a dog" is no photo of any one dog breed
        self.extractor = extractor or Extractor(vocab, hypernyms=())

    def mentions(self, caption: str) -> list[tuple[Optional[str], str]]:
        """Object mentions in order, each with the attributes modifying it (or None)."""
        return next(self.mentions_many([caption]))

    def mentions_many(self, captions: Iterable[str]) -> Iterator[list[tuple[Optional[str], str]]]:
        """`mentions` of each caption, parsed in batches."""
        for doc, matches in self.extractor.parse(captions, objects_only=True):
            if doc is None:
                yield []
                continue
            on_noun: dict[int, list] = {}
            for m in matches:
                if m.object in self.objects and m.attribute in self.attributes:
                    on_noun.setdefault(m.obj_start, []).append((self.attributes[m.attribute], self.objects[m.object]))
            out: list = []
            for i, obj in self.extractor.object_mentions(doc):
                if obj in self.objects:
                    out.extend(on_noun.get(i) or [(None, self.objects[obj])])
            yield out


def _with_mentions(rows, matcher: Matcher, batch: int = 512) -> Iterator[tuple[str, str, list]]:
    buf: list[tuple[str, str]] = []
    for row in itertools.chain(rows, [None]):
        if row is not None:
            buf.append(row)
        if buf and (row is None or len(buf) >= batch):
            yield from ((u, c, found) for (u, c), found in zip(buf, matcher.mentions_many(c for _, c in buf)))
            buf = []


def select_rows(rows, pairs: list[Pair], matcher: Matcher, per_object: int, per_pair: int, seed: int) -> list[dict]:
    """Label rows by their first unusual-pair mention, else their first object mention; cap rows per label.

    Labels: `unusual` (an unusual pair of the build), `seen` (a seen pair), `object` (the object only,
    attribute empty). Caps keep the rows with the smallest seeded hash of the URL, so they do not
    depend on table order.
    """
    by_key = {p.key(): p for p in pairs}
    unusual = {k for k, p in by_key.items() if p.status == "unusual" and p.selected}  # flagged default states are listed, not drawn
    groups: dict[tuple, list[tuple[int, dict]]] = {}
    seen_urls: set[str] = set()
    for url, caption, found in _with_mentions(rows, matcher):
        if url in seen_urls or not found:
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
