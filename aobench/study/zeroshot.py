"""Minimal zero-shot composition evaluation for the study (stand-in until aobench.evaluate's API is usable).

Candidates are (attribute, object) pairs, each a class whose text embedding is the mean of the
recipe's prompt templates (CLIP's prompt ensembling). Closed world: the build's pairs (seen +
unusual); open world: every attribute x object of the vocabulary. Object and attribute accuracy read
the object / attribute of the top open-world pair. AUC and best harmonic mean follow the CZSL
protocol (Purushwalkam et al. 2019): a bias added to unseen-pair scores is swept, tracing seen vs
unseen accuracy.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from aobench.io import read_jsonl
from aobench.prompts import render


def pair_text_features(model, tokenizer, pairs: list[tuple[str, str]], templates: list[str], device: str):
    """Unit-norm text embeddings [P, D] of the pairs, averaged over templates."""
    import torch

    texts = [render(t, a, o) for a, o in pairs for t in templates]
    with torch.no_grad():
        f = torch.cat([model.encode_text(tokenizer(texts[i : i + 512]).to(device)) for i in range(0, len(texts), 512)])
        f = f / f.norm(dim=-1, keepdim=True)
        f = f.view(len(pairs), len(templates), -1).mean(1)
    return f / f.norm(dim=-1, keepdim=True)


def image_features(model, images, device: str, batch: int = 256):
    """Unit-norm image embeddings [N, D]."""
    import torch

    out = []
    with torch.no_grad():
        for i in range(0, images.shape[0], batch):
            f = model.encode_image(images[i : i + batch].to(device))
            out.append(f / f.norm(dim=-1, keepdim=True))
    return torch.cat(out)


def bias_sweep(scores: np.ndarray, true: np.ndarray, unseen: np.ndarray, is_unseen_img: np.ndarray) -> tuple[float, float]:
    """(AUC of seen vs unseen accuracy, best harmonic mean) over biases added to unseen-pair scores."""
    s_seen = np.where(unseen[None, :], -np.inf, scores)
    s_uns = np.where(unseen[None, :], scores, -np.inf)
    top_seen, top_uns = s_seen.max(1), s_uns.max(1)
    gap = top_seen - top_uns  # bias above which the image's prediction flips to an unseen pair
    hit_seen = s_seen.argmax(1) == true  # right if the prediction stays among seen pairs
    hit_uns = s_uns.argmax(1) == true
    # accuracy only changes where the bias crosses an image's gap: those, both ends and 0 cover every state
    biases = np.concatenate([[-np.inf], np.unique(gap[np.isfinite(gap)]), [0.0, np.inf]])
    seen_acc, uns_acc = [], []
    for b in biases:
        pred_unseen = b > gap
        correct = np.where(pred_unseen, hit_uns, hit_seen)
        seen_acc.append(correct[~is_unseen_img].mean() if (~is_unseen_img).any() else 0.0)
        uns_acc.append(correct[is_unseen_img].mean() if is_unseen_img.any() else 0.0)
    seen_acc, uns_acc = np.array(seen_acc), np.array(uns_acc)
    order = np.argsort(uns_acc, kind="stable")
    auc = float(np.trapezoid(seen_acc[order], uns_acc[order])) if hasattr(np, "trapezoid") else float(np.trapz(seen_acc[order], uns_acc[order]))
    hm = np.where(seen_acc + uns_acc > 0, 2 * seen_acc * uns_acc / np.maximum(seen_acc + uns_acc, 1e-12), 0.0)
    return auc, float(hm.max())


def evaluate_checkpoint(arch: str, checkpoint: str | None, eval_dir: Path, templates: list[str], device: str = "cpu", seed: int = 0) -> dict:
    """Metrics of an open_clip checkpoint (None: a random model of the architecture) on a build's test splits."""
    import open_clip
    import torch

    from aobench.clipzoo import register_configs
    from aobench.study.train import load_split

    register_configs()
    if checkpoint is None:
        torch.manual_seed(seed)
    model, _, preprocess = open_clip.create_model_and_transforms(arch, pretrained=checkpoint, device=device)
    model.eval()
    tokenizer = open_clip.get_tokenizer(arch)
    pairs = list(read_jsonl(eval_dir / "pairs.jsonl"))
    closed = [(p["attribute"], p["object"]) for p in pairs]
    seen_set = {(p["attribute"], p["object"]) for p in pairs if p["status"] == "seen"}
    attrs = sorted({a for a, _ in closed})
    objs = sorted({o for _, o in closed})
    openw = [(a, o) for o in objs for a in attrs]
    txt = pair_text_features(model, tokenizer, openw, templates, device)
    metrics: dict = {}
    feats, labels = {}, {}
    for split in ("test_seen", "test_unusual"):
        rows = [r for r in read_jsonl(eval_dir / "manifest.jsonl") if r["split"] == split and r["filters"] == "kept"]
        images, _ = load_split(eval_dir, split, preprocess, tokenizer)
        feats[split] = image_features(model, images, device)
        labels[split] = [(r["attribute"], r["object"]) for r in rows]
    all_f = torch.cat([feats["test_seen"], feats["test_unusual"]]).cpu()
    all_l = labels["test_seen"] + labels["test_unusual"]
    is_unseen_img = np.array([lab not in seen_set for lab in all_l])
    scores_open = (all_f @ txt.cpu().T).numpy()
    open_index = {p: i for i, p in enumerate(openw)}
    closed_idx = np.array([open_index[p] for p in closed])
    for world, cand_idx in (("closed", closed_idx), ("open", np.arange(len(openw)))):
        cands = [openw[i] for i in cand_idx]
        index = {p: i for i, p in enumerate(cands)}
        scores = scores_open[:, cand_idx]
        true = np.array([index[lab] for lab in all_l])
        unseen = np.array([p not in seen_set for p in cands])
        pred = scores.argmax(1)
        for split, mask in (("seen", ~is_unseen_img), ("unusual", is_unseen_img)):
            metrics[f"{world}_{split}_composition_acc"] = float((pred[mask] == true[mask]).mean())
        auc, hm = bias_sweep(scores, true, unseen, is_unseen_img)
        metrics[f"{world}_auc"], metrics[f"{world}_best_hm"] = auc, hm
    top = np.array([openw[i] for i in scores_open.argmax(1)])
    for split, mask in (("seen", ~is_unseen_img), ("unusual", is_unseen_img)):
        lab = np.array(all_l)[mask]
        metrics[f"{split}_attribute_acc"] = float((top[mask, 0] == lab[:, 0]).mean())
        metrics[f"{split}_object_acc"] = float((top[mask, 1] == lab[:, 1]).mean())
    metrics["n_seen_images"] = int((~is_unseen_img).sum())
    metrics["n_unusual_images"] = int(is_unseen_img.sum())
    metrics["evaluator"] = "aobench.study.zeroshot"
    return metrics
