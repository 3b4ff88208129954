"""Pure metric functions on score matrices (numpy in, floats out); no models, no data loading.

Conventions: `scores[i, c]` is the similarity of query i (an image) to candidate c (a class or text);
higher is better. Ties in top-k are broken by index order (as torch.topk / argsort would).
"""

from __future__ import annotations

import math

import numpy as np


def topk_accuracy(scores: np.ndarray, targets: np.ndarray, ks: tuple[int, ...] = (1, 5)) -> dict[int, float]:
    """Fraction of rows whose target is among the k highest scores, per k; NaN where k > classes (CLIP_benchmark)."""
    scores, targets = np.asarray(scores), np.asarray(targets)
    n, c = scores.shape
    out = {}
    if n == 0:
        return {k: math.nan for k in ks}
    # rank of the target = how many candidates score strictly higher (+ ties earlier in index order)
    tgt = scores[np.arange(n), targets][:, None]
    idx = np.arange(c)[None, :]
    rank = (scores > tgt).sum(1) + ((scores == tgt) & (idx < targets[:, None])).sum(1)
    for k in ks:
        out[k] = math.nan if k > c else float((rank < k).mean())
    return out


def mean_per_class_recall(pred: np.ndarray, targets: np.ndarray) -> float:
    """Balanced accuracy: the mean over classes present in `targets` of the recall of that class."""
    pred, targets = np.asarray(pred), np.asarray(targets)
    if targets.size == 0:
        return math.nan
    classes = np.unique(targets)
    return float(np.mean([(pred[targets == c] == c).mean() for c in classes]))


def classification_metrics(scores: np.ndarray, targets: np.ndarray) -> dict[str, float]:
    """CLIP_benchmark's zero-shot classification metrics: acc1, acc5 (NaN under 5 classes), mean_per_class_recall."""
    acc = topk_accuracy(scores, targets, (1, 5))
    pred = np.asarray(scores).argmax(1) if len(targets) else np.zeros(0, int)
    return {"acc1": acc[1], "acc5": acc[5], "mean_per_class_recall": mean_per_class_recall(pred, targets)}


def harmonic_mean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise harmonic mean, 0 where both are 0."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.where(a + b > 0, 2 * a * b / np.maximum(a + b, 1e-12), 0.0)


CZSL_PROTOCOLS = ("reference", "exact")
REFERENCE_FINAL_BIAS = 1e3  # the CZSL evaluator's default --bias: every unseen pair outranks every seen one
REFERENCE_POINTS = 20  # the candidate biases are thinned to about this many
REFERENCE_OFFSET = 1e-4  # each candidate sits just below its gap, so that image is not yet flipped


def _accuracies(scores: np.ndarray, targets: np.ndarray, unseen_class: np.ndarray, unseen_image: np.ndarray, bias: float) -> tuple[float, float]:
    """(seen accuracy, unseen accuracy) of argmax predictions once `bias` is added to every unseen class's score."""
    correct = (scores + scores.dtype.type(bias) * unseen_class).argmax(1) == targets  # added in the scores' precision
    seen = float(correct[~unseen_image].mean()) if (~unseen_image).any() else 0.0
    uns = float(correct[unseen_image].mean()) if unseen_image.any() else 0.0
    return seen, uns


def _summarise_curve(biases, seen_acc: np.ndarray, uns_acc: np.ndarray, at_zero: tuple[float, float]) -> dict:
    """AUC (trapezoid of seen over unseen accuracy, in curve order), best HM and its point, best seen/unseen, the curve."""
    auc = float(np.trapezoid(seen_acc, uns_acc)) if hasattr(np, "trapezoid") else float(np.trapz(seen_acc, uns_acc))
    hm = harmonic_mean(seen_acc, uns_acc)
    best = int(hm.argmax())
    return {
        "auc": auc,
        "best_hm": float(hm[best]),
        "best_hm_seen": float(seen_acc[best]),
        "best_hm_unseen": float(uns_acc[best]),
        "best_hm_bias": _finite(biases[best]),
        "best_seen": float(seen_acc.max()),
        "best_unseen": float(uns_acc.max()),
        "seen_acc": at_zero[0],
        "unseen_acc": at_zero[1],
        "curve": {"bias": [_finite(b) for b in biases], "seen": seen_acc.tolist(), "unseen": uns_acc.tolist()},
    }


def _finite(b: float) -> float:
    return float(b) if np.isfinite(b) else (1e30 if b > 0 else -1e30)


def bias_sweep(scores: np.ndarray, targets: np.ndarray, unseen_class: np.ndarray, unseen_image: np.ndarray) -> dict:
    """CZSL calibration sweep over the exact step curve (protocol `exact`; Purushwalkam et al. 2019).

    A bias b is added to the scores of unseen classes; each b gives (seen accuracy on images of
    seen pairs, unseen accuracy on images of unseen pairs). Every state of the curve is visited
    (b = -inf, each image's seen-unseen gap, +inf). Returns the curve (biases, seen, unseen, in
    ascending bias), `auc` (area under seen-vs-unseen accuracy), `best_hm`, `best_seen`,
    `best_unseen`, and the accuracies at b = 0.
    """
    scores = np.asarray(scores, float)
    targets, unseen_class, unseen_image = np.asarray(targets), np.asarray(unseen_class, bool), np.asarray(unseen_image, bool)
    s_seen = np.where(unseen_class[None, :], -np.inf, scores)
    s_uns = np.where(unseen_class[None, :], scores, -np.inf)
    top_seen, top_uns = s_seen.max(1), s_uns.max(1)
    hit_seen = s_seen.argmax(1) == targets  # right while the prediction stays among seen classes
    hit_uns = s_uns.argmax(1) == targets
    # b > gap flips an image's prediction to an unseen class: every state is reached at -inf, at each gap, at +inf
    gap = top_seen - top_uns
    biases = np.unique(np.concatenate([[-np.inf, 0.0, np.inf], gap[np.isfinite(gap)]]))

    def accs(b: float) -> tuple[float, float]:
        correct = np.where(b > gap, hit_uns, hit_seen)
        seen = float(correct[~unseen_image].mean()) if (~unseen_image).any() else 0.0
        uns = float(correct[unseen_image].mean()) if unseen_image.any() else 0.0
        return seen, uns

    # biases ascend, so unseen accuracy never falls and seen accuracy never rises along the curve
    pts = np.array([accs(b) for b in biases])
    return _summarise_curve(biases, pts[:, 0], pts[:, 1], accs(0.0))


def reference_bias_sweep(
    scores: np.ndarray, targets: np.ndarray, unseen_class: np.ndarray, unseen_image: np.ndarray,
    *, final_bias: float = REFERENCE_FINAL_BIAS, points: int = REFERENCE_POINTS, offset: float = REFERENCE_OFFSET,
) -> dict:
    """CZSL calibration sweep as the community's evaluator runs it (protocol `reference`; Mancini et al. 2021's code base).

    Predictions at a large bias (`final_bias`, every unseen class first) decide which unseen images
    count: for each unseen image classified correctly there, its gap (best seen-class score minus
    its true class's score) less `offset` is a candidate bias. The sorted candidates are thinned to
    every k-th, k = max(n // points, 1); the curve is their (seen, unseen) accuracies plus the point
    at `final_bias`, in that order, and AUC is the trapezoid over it. No point at -inf is added, so
    AUC and best HM can fall below the exact curve's (`bias_sweep`). Scores keep their dtype (the
    evaluator adds biases to float32 scores).
    """
    scores = np.asarray(scores)
    if not np.issubdtype(scores.dtype, np.floating):
        scores = scores.astype(float)
    targets, unseen_class, unseen_image = np.asarray(targets), np.asarray(unseen_class, bool), np.asarray(unseen_image, bool)
    n = len(targets)
    correct_final = (scores + scores.dtype.type(final_bias) * unseen_class).argmax(1) == targets if n else np.zeros(0, bool)
    candidates = np.zeros(0)
    if (~unseen_class).any() and n:
        best_seen_score = np.where(unseen_class[None, :], -np.inf, scores).max(1)
        gap = best_seen_score - scores[np.arange(n), targets]
        candidates = np.sort(gap[unseen_image & correct_final] - offset)
    step = max(len(candidates) // points, 1)
    biases = list(candidates[::step]) + [final_bias]
    pts = np.array([_accuracies(scores, targets, unseen_class, unseen_image, b) for b in biases])
    out = _summarise_curve(np.array(biases, float), pts[:, 0], pts[:, 1], _accuracies(scores, targets, unseen_class, unseen_image, 0.0))
    out["n_candidate_biases"] = int(len(candidates))
    return out


def czsl_sweep(scores: np.ndarray, targets: np.ndarray, unseen_class: np.ndarray, unseen_image: np.ndarray, protocol: str = "reference") -> dict:
    """The calibration sweep of a CZSL protocol: `reference` (the community's evaluator) or `exact` (every state of the curve)."""
    if protocol == "exact":
        return bias_sweep(scores, targets, unseen_class, unseen_image)
    if protocol == "reference":
        return reference_bias_sweep(scores, targets, unseen_class, unseen_image)
    raise ValueError(f"unknown CZSL protocol {protocol!r}; choose from {', '.join(CZSL_PROTOCOLS)}")


def mean_stderr(values) -> float:
    """Standard error of a mean, lm-evaluation-harness's `mean_stderr`: sample std (ddof=1) / sqrt(n); NaN under 2 values.

    For 0/1 outcomes this is the binomial stderr sqrt(p(1-p)/(n-1)).
    """
    x = np.asarray(values, dtype=float).ravel()
    if x.size < 2:
        return math.nan
    return float(x.std(ddof=1) / math.sqrt(x.size))


def pairwise_accuracy(pos: np.ndarray, neg: np.ndarray) -> float:
    """Fraction of items where the true text scores strictly above its foil (image-text matching)."""
    pos, neg = np.asarray(pos, float), np.asarray(neg, float)
    return float((pos > neg).mean()) if pos.size else math.nan


def winoground_scores(s: np.ndarray) -> dict[str, float]:
    """Winoground text/image/group scores from `s[g, caption, image]` (2×2 per group, matches on the diagonal).

    text: both images prefer their own caption; image: both captions prefer their own image;
    group: both. Chance for random scores: 1/4, 1/4, 1/6 (Thrush et al. 2022).
    """
    s = np.asarray(s, float)
    if s.size == 0:
        return {"text": math.nan, "image": math.nan, "group": math.nan}
    c0i0, c0i1, c1i0, c1i1 = s[:, 0, 0], s[:, 0, 1], s[:, 1, 0], s[:, 1, 1]
    text = (c0i0 > c1i0) & (c1i1 > c0i1)
    image = (c0i0 > c0i1) & (c1i1 > c1i0)
    return {"text": float(text.mean()), "image": float(image.mean()), "group": float((text & image).mean())}


def recall_at_k(scores: np.ndarray, positive: np.ndarray, ks: tuple[int, ...] = (1, 5, 10)) -> dict[int, float]:
    """Fraction of queries with at least one positive among the k highest-scoring candidates (CLIP_benchmark)."""
    scores, positive = np.asarray(scores, float), np.asarray(positive, bool)
    if scores.shape[0] == 0:
        return {k: math.nan for k in ks}
    order = np.argsort(-scores, axis=1, kind="stable")
    ranked_pos = np.take_along_axis(positive, order, axis=1)
    return {k: float(ranked_pos[:, :k].any(1).mean()) for k in ks}
