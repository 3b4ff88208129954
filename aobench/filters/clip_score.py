"""CLIP-score filter: cosine similarity of each image to its own prompt, with an open_clip model."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from aobench.clipzoo import create_open_clip
from aobench.device import resolve_device


def clip_scores(records: list[dict], root: Path, arch: str, pretrained: str | None, *, device: str = "cpu", tiny: bool = False, batch_size: int = 32) -> list[float]:
    """Image-prompt cosine similarities, in record order."""
    import torch

    model, preprocess, tokenizer = create_open_clip(arch, pretrained, device=device, tiny=tiny)
    from aobench.progress import make_progress

    scores: list[float] = []
    with torch.inference_mode(), make_progress("images", transient=True) as progress:
        task = progress.add_task("CLIP score filter", total=len(records))
        for start in range(0, len(records), batch_size):
            batch = records[start : start + batch_size]
            images = []
            for r in batch:
                with Image.open(Path(root) / r["file"]) as im:
                    images.append(preprocess(im.convert("RGB")))
            img = model.encode_image(torch.stack(images).to(device))
            txt = model.encode_text(tokenizer([r["prompt"] for r in batch]).to(device))
            img = img / img.norm(dim=-1, keepdim=True)
            txt = txt / txt.norm(dim=-1, keepdim=True)
            scores.extend((img * txt).sum(-1).float().cpu().tolist())
            progress.advance(task, len(batch))
    return scores


def clip_score_filter(records: list[dict], spec, ctx) -> tuple[list[dict], list[tuple[dict, str]]]:
    """Drop images whose similarity to their prompt is below `threshold`."""
    scores = clip_scores(records, ctx.root, spec.model, spec.pretrained, device=resolve_device(ctx.device), tiny=ctx.tiny, batch_size=spec.batch_size)
    threshold = spec.tiny_threshold if ctx.tiny else spec.threshold
    kept, dropped = [], []
    for rec, s in zip(records, scores):
        rec["clip_score"] = round(float(s), 6)
        if s >= threshold:
            kept.append(rec)
        else:
            dropped.append((rec, f"clip_score_below:{threshold:g}"))
    return kept, dropped
