"""Each distinct image (file + crop) and each distinct caption of a benchmark embedded once per model, in batches, cached on disk.

The authors' loops embed an example's image and texts one example at a time; an image shared by several
examples (SugarCrepe: 7,511 examples on 1,560 images) is embedded again for each. Here the distinct images and
texts are embedded in batches, and cached per model in chunks (`EmbeddingCache`), so a killed run resumes
from its last chunk and a second benchmark on the same images (SugarCrepe, SugarCrepe++, VALSE's COCO pieces)
reuses them. A model whose embeddings are all cached is never loaded.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Optional, Sequence

from aobench.errors import one_line
from aobench.evaluate.cache import EmbeddingCache, content_hash
from aobench.evaluate.models import ModelHandle
from aobench.suite.schema import ImageRef

log = logging.getLogger(__name__)

IMAGE_CHUNK = 512  # images per cache entry (a killed run loses at most one chunk)
TEXT_CHUNK = 2048
TEXT_BATCH = 256


def open_image(path: Path, box: Optional[tuple] = None):
    """A PIL RGB image, cropped to `box` = (x, y, w, h) as ARO crops it: `crop((x, y, x + w, y + h))` (outside the image: black)."""
    from PIL import Image

    if Path(path).suffix.lower() == ".npy":  # EqBen's YouCook2 frames: BGR arrays saved with numpy
        from aobench.suite.eqben import open_image as open_frame

        im = open_frame(path)
    else:
        im = Image.open(path)
        im.load()
        im = im.convert("RGB")
    if box is not None:
        x, y, w, h = box
        im = im.crop((x, y, x + w, y + h))
    return im


def _file_key(ref: ImageRef, path: Path) -> list:
    st = path.stat()
    return [str(path.resolve()), st.st_size, st.st_mtime_ns, list(ref.box) if ref.box is not None else None]


class Embedder:
    """One model's embeddings of images and texts, memoised for the whole call and cached on disk in chunks."""

    def __init__(self, handle: ModelHandle, cache: EmbeddingCache, batch_size: int = 64, workers: int = 2, progress=None):
        self.handle = handle
        self.cache = cache
        self.batch_size = max(1, int(batch_size))
        self.workers = max(1, int(workers))
        self.progress = progress
        self.images: dict = {}  # ImageRef → embedding [D]
        self.failed: dict = {}  # ImageRef → reason (unreadable)
        self.texts: dict = {}  # text → embedding [D]

    # ---- images ------------------------------------------------------------------------------
    def embed_images(self, refs: Sequence[ImageRef], paths: dict) -> None:
        """Embed every ref not yet embedded (unreadable files go to `failed`)."""
        todo = sorted({r for r in refs if r not in self.images and r not in self.failed}, key=lambda r: (r.source, r.file, r.box or ()))
        if not todo:
            return
        task = self.progress.add_task("embed images", total=len(todo)) if self.progress else None
        for start in range(0, len(todo), IMAGE_CHUNK):
            chunk = todo[start : start + IMAGE_CHUNK]
            key = content_hash(["suite-images", [_file_key(r, paths[r]) for r in chunk]])
            hit = self.cache.get(self.handle.key, "suite-images", key)
            if hit is None:
                emb, failed = self._encode_images(chunk, paths)
                hit = {"emb": emb, "failed": failed}
                self.cache.put(self.handle.key, "suite-images", key, hit)
            failed = {int(i): why for i, why in hit["failed"]}
            rows = iter(hit["emb"])
            for i, ref in enumerate(chunk):
                if i in failed:
                    self.failed[ref] = failed[i]
                else:
                    self.images[ref] = next(rows)
            if task is not None:
                self.progress.advance(task, len(chunk))

    def _encode_images(self, chunk: list, paths: dict):
        import torch

        model = self.handle.load()

        def prep(i_ref):
            i, ref = i_ref
            try:
                return i, model.preprocess(open_image(paths[ref], ref.box)), None
            except Exception as exc:  # noqa: BLE001 - an unreadable image is reported, never fatal here
                return i, None, f"{paths[ref]}: {one_line(exc)}"

        embs, failed = [], []
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            for start in range(0, len(chunk), self.batch_size):
                batch = list(enumerate(chunk[start : start + self.batch_size], start))
                tensors = []
                for i, t, err in pool.map(prep, batch):
                    if t is None:
                        failed.append([i, err])
                    else:
                        tensors.append(t)
                if tensors:
                    embs.append(model.encode_pixels(torch.stack(tensors)))
        return (torch.cat(embs) if embs else torch.zeros(0, 0)), failed

    # ---- texts -------------------------------------------------------------------------------
    def embed_texts(self, texts: Sequence[str]) -> None:
        """Embed every text not yet embedded."""
        todo = sorted({t for t in texts if t not in self.texts})
        for start in range(0, len(todo), TEXT_CHUNK):
            chunk = todo[start : start + TEXT_CHUNK]
            key = content_hash(["suite-texts", chunk])
            hit = self.cache.get(self.handle.key, "suite-texts", key)
            if hit is None:
                import torch

                model = self.handle.load()
                emb = torch.cat([model.encode_texts(chunk[i : i + TEXT_BATCH]) for i in range(0, len(chunk), TEXT_BATCH)])
                hit = {"emb": emb}
                self.cache.put(self.handle.key, "suite-texts", key, hit)
            for t, e in zip(chunk, hit["emb"]):
                self.texts[t] = e
