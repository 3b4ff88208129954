"""What a task sees: one model's image embeddings of the evaluated rows, cached text encoders, and the data's pairs.

Tasks never load models or images themselves; everything expensive goes through here and the cache.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Optional, Union

from aobench.artifacts import PAIRS
from aobench.dataset.labels import read_columns
from aobench.errors import AobenchError, one_line
from aobench.evaluate.cache import EmbeddingCache, content_hash
from aobench.evaluate.data import EvalData, decode_image
from aobench.evaluate.models import ModelHandle
from aobench.prompts import DEFAULT_EVAL_TEMPLATES, render

Template = Union[str, Callable[[str], str]]
DEFAULT_TEMPLATES = list(DEFAULT_EVAL_TEMPLATES)


def template_id(t: Template) -> str:
    """A string identity of a template (OpenAI's are lambdas: their text with `{c}`)."""
    return t if isinstance(t, str) else t("{c}")


def fill(t: Template, attribute: str, obj: str, attribute_type: str = "") -> str:
    """A prompt for a class: recipe templates ({a} {attribute} {object}), `{c}` strings, or OpenAI callables."""
    classname = f"{attribute} {obj}".strip()
    if callable(t):
        return t(classname)
    if "{attribute}" in t or "{object}" in t:
        return render(t, attribute, obj, attribute_type)
    return t.format(c=classname)


def select_templates(which: str, data: EvalData) -> tuple[list[Template], str]:
    """(templates, a label) for `--templates recipe|openai|simple|FILE`."""
    from pathlib import Path

    from open_clip import zero_shot_metadata as zsm

    if which == "recipe":
        if data.templates:
            return list(data.templates), "recipe"
        return list(DEFAULT_TEMPLATES), "default"
    if which == "openai":
        return list(zsm.OPENAI_IMAGENET_TEMPLATES), "openai"
    if which == "simple":
        return list(zsm.SIMPLE_IMAGENET_TEMPLATES), "simple"
    p = Path(which)
    if p.is_file():
        lines = [ln.strip() for ln in p.read_text().splitlines() if ln.strip()]
        if not lines:
            raise AobenchError(f"--templates {p} holds no templates — one per line, with {{attribute}} {{object}} or {{c}}")
        return lines, p.name
    raise AobenchError(f"bad --templates {which!r}: use recipe, openai, simple, or a file with one template per line")


@dataclass
class Embedded:
    """One model's image embeddings of the evaluated splits: the rows read, their embeddings [N, D], the rows skipped."""

    rows: list  # metadata of the embedded (readable) rows, in split order
    image_emb: object  # torch.Tensor [N, D]
    skipped: list  # (id, reason) of unreadable images


@dataclass
class TaskContext:
    """One (model, data) evaluation as tasks see it: embedded rows, cached text encoders, pairs, options, notes."""

    data: EvalData
    handle: ModelHandle
    cache: EmbeddingCache
    templates: list
    templates_label: str
    rows: list  # metadata of the embedded (not skipped) rows
    image_emb: object  # torch.Tensor [N, D]
    skipped: list = field(default_factory=list)
    foils: Optional[list] = None
    batch_size: int = 64
    text_batch_size: int = 256
    seed: int = 0
    options: dict = field(default_factory=dict)  # task options (e.g. a CZSL protocol), recorded in every result
    notes: list = field(default_factory=list)  # each result carries the notes its task added (`note`)
    quiet_notes: set = field(default_factory=set)  # notes recorded in the result but not shown on the console
    _memo: dict = field(default_factory=dict)

    def note(self, text: str, shown: bool = True) -> None:
        """Record a note in this task's result; `shown=False`: provenance only (not printed after the run)."""
        self.notes.append(text)
        if not shown:
            self.quiet_notes.add(text)

    # --- text side -----------------------------------------------------------------------------
    def model(self):
        """The loaded model (loaded on first need; a failure names the spec)."""
        return self.handle.load()

    def _encode_new(self, texts: list[str]):
        import torch

        todo = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if todo:
            m = self.model()
            for i in range(0, len(todo), self.text_batch_size):
                chunk = todo[i : i + self.text_batch_size]
                for t, e in zip(chunk, m.encode_texts(chunk)):
                    self._memo[t] = e
        return torch.stack([self._memo[t] for t in texts]) if texts else torch.zeros(0)

    def text_embeddings(self, texts: list[str]):
        """Unit-norm embeddings [T, D] of texts, cached on disk per (model, texts)."""
        key = content_hash(["texts", list(texts)])
        hit = self.cache.get(self.handle.key, "texts", key)
        if hit is not None:
            return hit["emb"]
        emb = self._encode_new(list(texts))
        self.cache.put(self.handle.key, "texts", key, {"emb": emb})
        return emb

    def class_embeddings(self, classes: list[tuple[str, str]]):
        """Zero-shot classifier [C, D]: per (attribute, object) class, the renormalised mean over templates of unit-norm prompt embeddings."""
        key = content_hash(["classes", [list(c) for c in classes], [template_id(t) for t in self.templates]])
        hit = self.cache.get(self.handle.key, "classes", key)
        if hit is not None:
            return hit["emb"]
        texts = [fill(t, a, o, self.attribute_type(a)) for a, o in classes for t in self.templates]
        emb = self._encode_new(texts)
        emb = emb.view(len(classes), len(self.templates), -1).mean(1)
        emb = emb / emb.norm(dim=-1, keepdim=True)
        self.cache.put(self.handle.key, "classes", key, {"emb": emb})
        return emb

    def caption(self, attribute: str, obj: str) -> str:
        """One caption for a pair: the first template (ITM foils, Winoground groups)."""
        return fill(self.templates[0], attribute, obj, self.attribute_type(attribute))

    # --- pairs -----------------------------------------------------------------------------------
    def attribute_type(self, attribute: str) -> str:
        """The attribute's type ('' when unknown)."""
        return self._attr_types().get(attribute, "")

    def _attr_types(self) -> dict:
        if "_types" not in self.__dict__:
            types = {}
            for p in self.data.pairs or []:
                types.setdefault(p.get("attribute"), p.get("attribute_type", ""))
            for r in self.rows:
                types.setdefault(r["attribute"], r.get("attribute_type", ""))
            self.__dict__["_types"] = types
        return self.__dict__["_types"]

    def eval_pairs(self) -> list[tuple[str, str]]:
        """The (attribute, object) pairs of the evaluated images, sorted (the closed-world classes)."""
        return sorted({(r["attribute"], r["object"]) for r in self.rows})

    def pair_universe(self) -> list[tuple[str, str]]:
        """Every pair the data names: the build's pairs.jsonl plus the evaluated images' pairs."""
        pairs = {(p["attribute"], p["object"]) for p in self.data.pairs or []}
        return sorted(pairs | set(self.eval_pairs()))

    def seen_pairs(self) -> tuple[Optional[set], str]:
        """(seen pairs, where from): pairs.jsonl status, else the train split, else the pair_status column."""
        if self.data.pairs and any("status" in p for p in self.data.pairs):
            return {(p["attribute"], p["object"]) for p in self.data.pairs if p.get("status") == "seen"}, PAIRS
        train = self.data.other_splits.get("train") or self.data.splits.get("train")
        if train is not None and {"attribute", "object"} <= set(train.column_names):
            d = read_columns(train, ["attribute", "object"])
            return set(zip(d["attribute"], d["object"])), "train split"
        if any(r.get("pair_status") for r in self.rows):
            return {(r["attribute"], r["object"]) for r in self.rows if r.get("pair_status") == "seen"}, "pair_status column"
        return None, "none"


def embed(data: EvalData, handle: ModelHandle, cache: EmbeddingCache, batch_size: int, workers: int, progress=None) -> Embedded:
    """Every evaluated split's image embeddings for one model (cached per split), with the rows they belong to."""
    import torch

    rows, embs, skipped = [], [], []
    for split in data.splits:
        ids, emb, sk = embed_split(data, split, handle, cache, batch_size, workers, progress)
        meta = {r["id"]: r for r in data.rows(split)}
        rows.extend(meta[i] for i in ids)
        if len(ids):
            embs.append(emb)
        skipped.extend(sk)
    return Embedded(rows, torch.cat(embs) if embs else torch.zeros(0, 1), skipped)


def embed_split(data: EvalData, split: str, handle: ModelHandle, cache: EmbeddingCache, batch_size: int, workers: int, progress=None):
    """(ids, embeddings [N, D], skipped [(id, reason)]) of one split, cached per (model, split fingerprint).

    Under a multi-process launch every rank embeds a contiguous run of whole batches (the batches a single
    process would form, so each image's embedding is the same bits) and rank 0 gathers them in row order;
    the other ranks get nothing back (they run no task).
    """
    import torch

    import aobench.launch as launching

    launch = launching.current()
    key = content_hash(["images", data.split_fingerprint(split)])
    hit = cache.get(handle.key, "images", key)
    if launch is not None and not all(launch.all_gather(hit is not None)):
        hit = None  # one decision for every rank: all skip the work, or all share it
    if hit is not None:
        if launch is not None and not launch.main:
            return [], torch.zeros(0, 0), []
        return hit["ids"], hit["emb"], [tuple(s) for s in hit["skipped"]]
    ds = data.splits[split]
    ids = [str(x) for x in ds["id"]] if "id" in ds.column_names else [f"{split}-{i}" for i in range(ds.num_rows)]
    starts = list(range(0, ds.num_rows, batch_size))
    if launch is not None:
        starts = starts[launch.rank * len(starts) // launch.world : (launch.rank + 1) * len(starts) // launch.world]
    mine: dict = {}

    def run() -> None:
        mine["part"] = _embed_batches(ds, ids, starts, batch_size, handle.load(), workers, progress, split, data.root)

    if launch is None:
        run()
        kept_ids, emb, skipped = mine["part"]
    else:
        launch.agree(run)  # a model that fails to load stops every rank with its message
        parts = launch.gather(mine["part"])
        if not launch.main:
            return [], torch.zeros(0, 0), []
        kept_ids = [i for p in parts for i in p[0]]  # ranks hold consecutive batches: rank order is row order
        embs = [p[1] for p in parts if len(p[0])]
        emb = torch.cat(embs) if embs else torch.zeros(0, 0)
        skipped = [s for p in parts for s in p[2]]
    cache.put(handle.key, "images", key, {"ids": kept_ids, "emb": emb, "skipped": [list(s) for s in skipped]})
    return kept_ids, emb, skipped


def _embed_batches(ds, ids: list, starts: list, batch_size: int, model, workers: int, progress, split: str, root=None):
    """(ids, embeddings, skipped) of the batches of `ds` starting at `starts` (unreadable images skipped)."""
    import torch

    kept_ids, chunks, skipped = [], [], []

    def prep(item):
        i, value = item
        try:
            return i, model.preprocess(decode_image(value, root)), None
        except AobenchError:  # a file outside the build: refused, never skipped
            raise
        except Exception as exc:  # noqa: BLE001 - corrupt/missing image: skipped and reported, never fatal
            return i, None, one_line(exc)

    total = sum(min(batch_size, ds.num_rows - s) for s in starts)
    task = progress.add_task(f"embed {split}", total=total) if progress else None
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for start in starts:
            batch = ds[start : start + batch_size]["image"]
            tensors, bids = [], []
            for i, t, err in pool.map(prep, enumerate(batch, start)):
                if t is None:
                    skipped.append((ids[i], err))
                else:
                    tensors.append(t)
                    bids.append(ids[i])
            if tensors:
                chunks.append(model.encode_pixels(torch.stack(tensors)))
                kept_ids.extend(bids)
            if progress:
                progress.advance(task, len(batch))
    return kept_ids, (torch.cat(chunks) if chunks else torch.zeros(0, 0)), skipped
