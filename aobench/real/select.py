"""Pick rows of a caption/URL table whose captions mention a build's objects (usual) or its unusual pairs."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Iterable, Iterator, Optional

from aobench.errors import AobenchError
from aobench.pairs import Pair
from aobench.seeds import stable_int

def read_table(path: Path, url_column: str = "url", caption_column: str = "caption") -> Iterator[tuple[str, str]]:
    """(url, caption) rows of a caption/URL table in any corpus format with columns (parquet, CSV/TSV, JSON lines, .gz/.zst); rows lacking either are skipped."""
    from aobench.text.corpus import SUFFIXES, format_of, iter_rows

    path = Path(path)
    if not path.is_file():
        raise AobenchError(f"--table {path}: no such file")
    fmt, base, _ = format_of(path)
    if fmt is None or fmt.kind == "lines":
        raise AobenchError(f"--table {path}: unknown format {base!r} — use a table with url and caption columns: {', '.join(s for s in SUFFIXES if s != '.txt')}")

    def pick(columns: list[str]) -> list[str]:
        missing = [c for c in (url_column, caption_column) if c not in columns]
        if missing:
            raise AobenchError(f"{path}: no column {missing[0]!r} (columns: {', '.join(columns[:10])}) — use --url-column/--caption-column")
        return [url_column, caption_column]

    for row in iter_rows(path, fmt, pick):
        if row.skip == "malformed_json":  # a selection must not silently miss rows of a broken table
            raise AobenchError(f"{path}:{row.line}: not valid JSON ({row.detail})")
        r = row.values
        if isinstance(r, dict) and r.get(url_column) and r.get(caption_column):
            yield r[url_column], r[caption_column]


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
