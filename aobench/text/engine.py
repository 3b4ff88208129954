"""Run extraction over corpora: local processes (one spaCy pipeline each), per-file shards for resume."""

from __future__ import annotations

import hashlib
import itertools
import json
import multiprocessing as mp
import signal
import sys
from collections import Counter, deque
from contextlib import ExitStack
from pathlib import Path
from typing import Iterable, Iterator, Optional

from aobench.io import JsonlAppender, atomic_write_json
from aobench.progress import make_progress
from aobench.text.corpus import Record, is_stream, iter_records
from aobench.text.counts import Counts

# captions a worker takes at once, all parsed in one `nlp.pipe` batch: larger batches run the CNN faster, and in
# vocabulary mode the pre-filter passes only a fraction of a chunk to the parse
CHUNK = 1024
IN_FLIGHT_PER_WORKER = 4
# captions between frees of what spaCy keeps for every new word (strings, lexemes: its memory zones) and of the
# memoised per-token results that refer to them; web alt-text brings new ids and URLs in nearly every caption,
# so without this memory grows with the corpus (benchmarks/stream_memory.py). Refilling the memos after each free
# cost no measurable time: 80k unique-token captions took 302 s vs 306 s unbounded, side by side on a loaded 2-core machine.
ZONE_CAPTIONS = 20_000
# what a zone cannot give back: spaCy's hash tables (string store, lexeme index) keep the slots of freed entries
# (measured: +19 MB over 200k unique-token captions in one process); a fresh pipeline every RELOAD_CAPTIONS captions of
# a process caps that too (measured at 50k: flat at +7 MB from 100k to 200k; 267 s vs 262 s for the 200k, ~2% for reloads)
RELOAD_CAPTIONS = 50_000
_WORKER_EXTRACTOR = None
_WORKER_REF: object = object()  # the vocab ref _WORKER_EXTRACTOR was built for
_ZONE: Optional[ExitStack] = None  # the memory zone the worker's parses run in
_ZONE_N = 0  # captions parsed in it
_SINCE_LOAD = 0  # captions parsed by the worker's pipeline since it was loaded


def _free_zone() -> None:
    """Close the worker's memory zone: spaCy frees the strings and lexemes added in it, and the memos forget them."""
    global _ZONE, _ZONE_N
    if _ZONE is None:
        return
    from aobench.text.memo import forget

    _ZONE.close()
    _ZONE, _ZONE_N = None, 0
    forget(_WORKER_EXTRACTOR.nlp)  # memoised results hold hashes of strings now freed
    if _WORKER_EXTRACTOR.prefilter is not None:
        _WORKER_EXTRACTOR.prefilter.forget()  # its cache is plain strings, bounded on the same cadence


def _reload() -> None:
    """A fresh pipeline for the worker (the same model and vocab: the same annotations), the old one dropped first."""
    import gc

    global _WORKER_EXTRACTOR, _WORKER_REF, _SINCE_LOAD
    _free_zone()
    ref = _WORKER_REF
    _WORKER_EXTRACTOR, _WORKER_REF, _SINCE_LOAD = None, object(), 0
    gc.collect()  # the old pipeline's memory is reused by the new one instead of adding to it
    _init_worker(ref)


def _init_worker(vocab_ref: Optional[str]) -> None:
    global _WORKER_EXTRACTOR, _WORKER_REF
    if _WORKER_EXTRACTOR is not None and _WORKER_REF == vocab_ref:
        return  # one pipeline per process, kept across files and calls
    _free_zone()  # an extractor's patterns must be permanent strings, never added inside a zone
    from aobench.text.parse import Extractor, vocab_for

    nlp = _WORKER_EXTRACTOR.nlp if _WORKER_EXTRACTOR is not None else None
    _WORKER_EXTRACTOR, _WORKER_REF = Extractor(vocab_for(vocab_ref), nlp=nlp, batch_size=CHUNK), vocab_ref


def _init_pool_worker(vocab_ref: Optional[str]) -> None:
    # thinc imports torch whenever it is installed (~650 MB RSS a process) though the spaCy CNN pipeline never
    # uses it; these spawned processes run only extraction, so they hide torch (spaCy then runs without it)
    if "torch" not in sys.modules:
        sys.modules["torch"] = None  # type: ignore[assignment]
    # Ctrl-C reaches the whole process group: the parent stops the pool and says so once; workers stay quiet
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _init_worker(vocab_ref)


def _extract_chunk(texts: list[str]) -> list:
    """(pairs, negated) per caption, parsed inside the worker's memory zone (freed every ZONE_CAPTIONS captions)."""
    global _ZONE, _ZONE_N, _SINCE_LOAD
    if _SINCE_LOAD >= RELOAD_CAPTIONS:
        _reload()
    if _ZONE is None:
        _ZONE = ExitStack()
        _ZONE.enter_context(_WORKER_EXTRACTOR.nlp.memory_zone())
    out = list(_WORKER_EXTRACTOR.extract_all(texts))  # plain strings: nothing of the zone outlives it
    _ZONE_N += len(texts)
    _SINCE_LOAD += len(texts)
    if _ZONE_N >= ZONE_CAPTIONS:
        _free_zone()
    return out


def _chunks(records: Iterable[Record], on_skip) -> Iterator[tuple[list[str], list[str]]]:
    ids, texts = [], []
    for r in records:
        if r.skip:
            on_skip(r)
            continue
        ids.append(r.id)
        texts.append(r.text)
        if len(texts) >= CHUNK:
            yield ids, texts
            ids, texts = [], []
    if texts:
        yield ids, texts


class Runner:
    """Extraction in this process or in `workers` spawned ones, kept for every file of a run (spaCy loads once each)."""

    def __init__(self, vocab_ref: Optional[str], workers: int = 1):
        self.vocab_ref, self.workers, self._pool = vocab_ref, workers, None

    def __enter__(self) -> "Runner":
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def run(self, records: Iterable[Record], on_skip=lambda r: None) -> Iterator[tuple[str, list, list]]:
        """(id, pairs, negated pairs) per usable caption, in corpus order; skipped records go to `on_skip`."""
        chunks = _chunks(records, on_skip)
        # read the first chunk before loading spaCy: a file without its caption column, or with nothing usable,
        # fails or finishes at once instead of after a model load per process
        first = next(chunks, None)
        if first is None:
            return
        chunks = itertools.chain([first], chunks)
        if self.workers <= 1:
            _init_worker(self.vocab_ref)
            try:
                for ids, texts in chunks:
                    yield from _rows(ids, _extract_chunk(texts))
            finally:
                _free_zone()  # this process's pipeline may serve other callers next: no zone left open
            return
        if self._pool is None:
            ctx = mp.get_context("spawn")  # fork after torch/spaCy threads start is unsafe
            self._pool = ctx.Pool(self.workers, initializer=_init_pool_worker, initargs=(self.vocab_ref,))
        # a bounded window of chunks in flight: Pool.imap would read the whole corpus into its task queue
        window: deque = deque()
        for ids, texts in chunks:
            window.append((ids, self._pool.apply_async(_extract_chunk, (texts,))))
            if len(window) >= IN_FLIGHT_PER_WORKER * self.workers:
                ids0, res = window.popleft()
                yield from _rows(ids0, res.get())
        while window:
            ids0, res = window.popleft()
            yield from _rows(ids0, res.get())


def _rows(ids: list[str], results: list) -> Iterator[tuple[str, list, list]]:
    return ((i, pairs, negated) for i, (pairs, negated) in zip(ids, results))


def extract_records(records: Iterable[Record], vocab_ref: Optional[str], workers: int = 1, on_skip=lambda r: None) -> Iterator[tuple[str, list, list]]:
    """(id, pairs, negated pairs) per usable caption of one record stream (a Runner for just this stream)."""
    with Runner(vocab_ref, workers) as runner:
        yield from runner.run(records, on_skip)


def preflight(vocab_ref: Optional[str]) -> None:
    """Fail on a missing spaCy model or a bad recipe before any output or progress bar appears."""
    from aobench.text.parse import model_name, vocab_for

    model_name()
    vocab_for(vocab_ref)


def _shard_key(path: Path, vocab_ref: Optional[str], text_column: Optional[str], keep_pairs: bool) -> str:
    from aobench.text.parse import RULES_VERSION

    st = path.stat() if path.exists() else None
    # the rules' version: a shard counted by older rules is counted again
    ident = [str(path.resolve() if path.exists() else path), st.st_size if st else 0, st.st_mtime_ns if st else 0, vocab_ref, text_column, keep_pairs, RULES_VERSION]
    return hashlib.sha256(json.dumps(ident).encode()).hexdigest()[:20]


def count_corpora(
    sources: list[str],
    vocab_ref: Optional[str],
    *,
    text_column: Optional[str] = None,
    workers: int = 1,
    shard_dir: Optional[Path] = None,
    keep_caption_pairs: bool = False,
) -> tuple[Counts, Counter]:
    """Counts over all sources (merged), resuming per file from `shard_dir`; caption types (for bootstrap) when asked."""
    preflight(vocab_ref)
    total = Counts()
    caption_pairs: Counter = Counter()
    with Runner(vocab_ref, workers) as runner, make_progress("captions") as progress:
        task = progress.add_task("extracting", total=None)
        for src in sources:
            # a pipe or standard input is read once and has no identity to resume by: never a shard
            shard = Path(shard_dir) / f"{_shard_key(Path(src), vocab_ref, text_column, keep_caption_pairs)}.json" if shard_dir and not is_stream(src) else None
            if shard is not None and shard.exists():
                saved = json.loads(shard.read_text())
                part = Counts.from_dict(saved["counts"])
                cps = _types_from_json(saved.get("caption_types", []))
                progress.console.print(f"{src}: resumed from saved shard ({part.n_captions} captions)", markup=False, highlight=False)
            else:
                part, cps = Counts(), Counter()

                def on_skip(r, part=part):
                    part.skip(r.skip)

                for _, pairs, negated in runner.run(iter_records(src, text_column), on_skip):
                    part.add_caption(pairs, negated)
                    if keep_caption_pairs and pairs:
                        cps[tuple(sorted(pairs))] += 1
                    if part.n_captions % CHUNK == 0:
                        progress.advance(task, CHUNK)
                saved = {"source": str(src), "counts": part.to_dict(), **({"caption_types": _types_to_json(cps)} if keep_caption_pairs else {})}
                if shard is not None:
                    atomic_write_json(shard, saved)
                # continue from what a resumed run would read back (sorted pairs and caption types): sums over
                # the table then run in one order, so a resumed run writes byte-identical floats
                part, cps = Counts.from_dict(saved["counts"]), _types_from_json(saved.get("caption_types", []))
            total.merge(part)
            caption_pairs.update(cps)
            progress.update(task, completed=total.n_captions)
    return total, caption_pairs


def extract_to_jsonl(sources: list[str], out: Path, vocab_ref: Optional[str], *, text_column: Optional[str] = None, workers: int = 1) -> Counts:
    """Write one `{"id", "pairs"}` line per usable caption (+ `negated` where it negates some) to `out` (atomically at the end); returns counts."""
    from aobench.io import writable_file

    preflight(vocab_ref)
    writable_file(out)
    counts = Counts()
    tmp = Path(out).with_name(f".{Path(out).name}.partial")
    tmp.unlink(missing_ok=True)
    try:
        with Runner(vocab_ref, workers) as runner, JsonlAppender(tmp, fsync=False) as log, make_progress("captions") as progress:
            task = progress.add_task("extracting", total=None)
            for src in sources:
                for ident, pairs, negated in runner.run(iter_records(src, text_column), lambda r: counts.skip(r.skip)):
                    counts.add_caption(pairs, negated)
                    row = {"id": ident, "pairs": [list(p) for p in pairs]}
                    if negated:
                        row["negated"] = [list(p) for p in negated]
                    log.append(row)
                    progress.advance(task)
        tmp.replace(out)
    except BaseException:
        tmp.unlink(missing_ok=True)  # extraction restarts from the top, so a partial file is of no use to anyone
        raise
    return counts


def counts_from_pairs_file(path: Path) -> tuple[Counts, Counter]:
    """Counts (and caption types, for bootstrap) from an `aobench extract` output file; a row of another shape is one line naming it."""
    from aobench.errors import AobenchError
    from aobench.io import read_jsonl_strict

    def text(x) -> bool:
        try:
            return isinstance(x, str) and bool(x.encode("utf-8"))
        except UnicodeEncodeError:  # a lone surrogate: no JSON writer takes it
            return False

    def pair_list(row, key: str, n: int) -> list[tuple[str, str]]:
        value = row.get(key, [])
        if not isinstance(value, list) or not all(isinstance(p, list) and len(p) == 2 and all(text(x) for x in p) for p in value):
            raise AobenchError(f'{path}:{n}: `{key}` must be a list of ["attribute", "object"] string pairs — pass a file written by `aobench extract`')
        return [tuple(p) for p in value]

    if not Path(path).is_file():
        raise AobenchError(f"--pairs {path}: no such file — pass the output of `aobench extract`")
    counts, cps = Counts(), Counter()
    for n, row in read_jsonl_strict(path, "pass a file written by `aobench extract`"):
        if not isinstance(row, dict):
            raise AobenchError(f"{path}:{n}: a row is a JSON object ({{\"id\", \"pairs\"}}) — pass a file written by `aobench extract`")
        pairs = pair_list(row, "pairs", n)
        counts.add_caption(pairs, pair_list(row, "negated", n))
        if pairs:
            cps[tuple(sorted(pairs))] += 1
    return counts, cps


def _types_to_json(types: Counter) -> list:
    return [[[list(p) for p in key], m] for key, m in sorted(types.items())]


def _types_from_json(rows: list) -> Counter:
    return Counter({tuple(tuple(p) for p in key): int(m) for key, m in rows})
