"""Pure metric functions on score matrices (numpy in, floats out); no models, no data loading.

Conventions: `scores[i, c]` is the similarity of query i (an image) to candidate c (a class or text);
higher is better. Ties in top-k are broken by index order (as torch.topk / argsort would).

Uncertainty and chance, one rule each (every accuracy aobench reports carries both):
- a metric that is a proportion over independent units (acc1/acc5 over images, pairwise ITM over foils,
  Winoground text/image/group over groups, recall@k over queries) gets `<metric>_stderr` =
  `mean_stderr` of its 0/1 outcomes — lm-evaluation-harness's convention, sqrt(p(1-p)/(n-1));
- a mean of per-class proportions (mean_per_class_recall) is not a proportion over images: its stderr is
  the standard deviation of `BOOTSTRAP_ITERS` seeded bootstrap resamples of the images (lm-eval's
  `bootstrap_stderr` likewise resamples the units and takes the sample std);
- chance is what random scores reach in expectation: top-k of C classes min(k, C)/C, pairwise 0.5,
  Winoground 1/4, 1/4, 1/6, recall@k the probability that k random candidates hold a positive.
"""

from __future__ import annotations

import math

import numpy as np


BOOTSTRAP_ITERS = 1000  # resamples of the images for the stderr of a mean of per-class proportions
PAIRWISE_CHANCE = 0.5  # a true caption vs one foil
WINOGROUND_CHANCE = {"text": 0.25, "image": 0.25, "group": 1 / 6}  # Thrush et al. 2022, for random scores


def target_rank(scores: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Per row, how many candidates rank above its target (strictly higher scores, plus ties earlier in index order)."""
    scores, targets = np.asarray(scores), np.asarray(targets)
    n, c = scores.shape
    if n == 0:
        return np.zeros(0, int)
    tgt = scores[np.arange(n), targets][:, None]
    idx = np.arange(c)[None, :]
    return (scores > tgt).sum(1) + ((scores == tgt) & (idx < targets[:, None])).sum(1)


def topk_accuracy(scores: np.ndarray, targets: np.ndarray, ks: tuple[int, ...] = (1, 5)) -> dict[int, float]:
    """Fraction of rows whose target is among the k highest scores, per k; NaN where k > classes (CLIP_benchmark)."""
    scores = np.asarray(scores)
    n, c = scores.shape
    if n == 0:
        return {k: math.nan for k in ks}
    rank = target_rank(scores, targets)
    return {k: math.nan if k > c else float((rank < k).mean()) for k in ks}


def mean_per_class_recall(pred: np.ndarray, targets: np.ndarray) -> float:
    """Balanced accuracy: the mean over classes present in `targets` of the recall of that class."""
    pred, targets = np.asarray(pred), np.asarray(targets)
    if targets.size == 0:
        return math.nan
    classes = np.unique(targets)
    return float(np.mean([(pred[targets == c] == c).mean() for c in classes]))


def classification_metrics(scores: np.ndarray, targets: np.ndarray, seed: int = 0) -> dict[str, float]:
    """CLIP_benchmark's zero-shot classification metrics — acc1, acc5 (NaN under 5 classes), mean_per_class_recall — with their stderr.

    `<metric>_stderr`: binomial (`mean_stderr`) for acc1/acc5, a seeded bootstrap over images for
    mean_per_class_recall (see the module docstring); NaN where the metric is.
    """
    scores, targets = np.asarray(scores), np.asarray(targets)
    n, c = scores.shape if scores.ndim == 2 else (0, 0)
    rank = target_rank(scores, targets) if n else np.zeros(0, int)
    pred = scores.argmax(1) if n else np.zeros(0, int)
    out: dict[str, float] = {}
    for k in (1, 5):
        hits = rank < k
        undefined = n == 0 or k > c
        out[f"acc{k}"] = math.nan if undefined else float(hits.mean())
        out[f"acc{k}_stderr"] = math.nan if undefined else mean_stderr(hits)
    out["mean_per_class_recall"] = mean_per_class_recall(pred, targets)
    out["mean_per_class_recall_stderr"] = mean_per_class_recall_stderr(pred, targets, seed=seed)
    return out


def classification_chance(scores: np.ndarray, targets: np.ndarray) -> dict[str, float]:
    """What random scores reach in expectation: `chance/acc1`, `chance/acc5`, `chance/mean_per_class_recall`.

    A row's candidates are its finite scores (m of them; all C classes unless a task masks some with -inf):
    top-k chance is min(k, m)/m, averaged over rows (per class, then over classes, for the recall); acc5's
    is NaN where acc5 is (under 5 classes). For every row ranking C classes: 1/C, 5/C, 1/C.
    """
    scores, targets = np.asarray(scores), np.asarray(targets)
    if scores.ndim != 2 or scores.shape[0] == 0:
        return {"chance/acc1": math.nan, "chance/acc5": math.nan, "chance/mean_per_class_recall": math.nan}
    m = np.isfinite(scores).sum(1).astype(np.float64)
    p1 = 1 / m
    classes, cls = np.unique(targets, return_inverse=True)
    per_class = np.bincount(cls, weights=p1) / np.bincount(cls)
    return {"chance/acc1": float(p1.mean()), "chance/acc5": float((np.minimum(5, m) / m).mean()) if scores.shape[1] >= 5 else math.nan,
            "chance/mean_per_class_recall": float(per_class.mean())}  # fmt: skip


def mean_per_class_recall_stderr(pred: np.ndarray, targets: np.ndarray, seed: int = 0, iters: int = BOOTSTRAP_ITERS) -> float:
    """Bootstrap stderr of `mean_per_class_recall`: the sample std of it over `iters` resamples of the images (seeded).

    A class a resample leaves out drops out of that resample's mean, as it would from a test set without it.
    NaN under 2 images.
    """
    pred, targets = np.asarray(pred), np.asarray(targets)
    n = targets.size
    if n < 2:
        return math.nan
    classes, cls = np.unique(targets, return_inverse=True)
    correct = (pred == targets).astype(np.float64)
    n_cls = classes.size
    rng = np.random.default_rng(seed)
    vals = []
    step = max(1, (1 << 21) // n)
    for start in range(0, iters, step):
        b = min(step, iters - start)
        idx = rng.integers(0, n, size=(b, n))
        flat = (np.arange(b)[:, None] * n_cls + cls[idx]).ravel()
        hits = np.bincount(flat, weights=correct[idx].ravel(), minlength=b * n_cls).reshape(b, n_cls)
        seen = np.bincount(flat, minlength=b * n_cls).reshape(b, n_cls)
        with np.errstate(invalid="ignore", divide="ignore"):
            vals.append(np.nanmean(np.where(seen > 0, hits / seen, np.nan), axis=1))
    return float(np.concatenate(vals).std(ddof=1))


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


def pairwise_metrics(pos: np.ndarray, neg: np.ndarray, key: str = "acc") -> dict[str, float]:
    """`key`: pairwise accuracy; `key_stderr`: its binomial stderr over the items."""
    pos, neg = np.asarray(pos, float), np.asarray(neg, float)
    hits = pos > neg
    return {key: float(hits.mean()) if hits.size else math.nan, f"{key}_stderr": mean_stderr(hits)}


def _winoground_outcomes(s: np.ndarray) -> dict[str, np.ndarray]:
    c0i0, c0i1, c1i0, c1i1 = s[:, 0, 0], s[:, 0, 1], s[:, 1, 0], s[:, 1, 1]
    text = (c0i0 > c1i0) & (c1i1 > c0i1)
    image = (c0i0 > c0i1) & (c1i1 > c1i0)
    return {"text": text, "image": image, "group": text & image}


def winoground_scores(s: np.ndarray) -> dict[str, float]:
    """Winoground text/image/group scores from `s[g, caption, image]` (2×2 per group, matches on the diagonal).

    text: both images prefer their own caption; image: both captions prefer their own image;
    group: both. Chance for random scores: 1/4, 1/4, 1/6 (Thrush et al. 2022).
    """
    s = np.asarray(s, float)
    if s.size == 0:
        return {"text": math.nan, "image": math.nan, "group": math.nan}
    return {k: float(v.mean()) for k, v in _winoground_outcomes(s).items()}


def winoground_stderr(s: np.ndarray) -> dict[str, float]:
    """`text_stderr`, `image_stderr`, `group_stderr` of `winoground_scores`: binomial over groups."""
    s = np.asarray(s, float)
    if s.size == 0:
        return {f"{k}_stderr": math.nan for k in WINOGROUND_CHANCE}
    return {f"{k}_stderr": mean_stderr(v) for k, v in _winoground_outcomes(s).items()}


def _recall_hits(scores: np.ndarray, positive: np.ndarray, ks: tuple[int, ...]) -> dict[int, np.ndarray]:
    order = np.argsort(-scores, axis=1, kind="stable")
    ranked_pos = np.take_along_axis(positive, order, axis=1)
    return {k: ranked_pos[:, :k].any(1) for k in ks}


def recall_at_k(scores: np.ndarray, positive: np.ndarray, ks: tuple[int, ...] = (1, 5, 10)) -> dict[int, float]:
    """Fraction of queries with at least one positive among the k highest-scoring candidates (CLIP_benchmark)."""
    scores, positive = np.asarray(scores, float), np.asarray(positive, bool)
    if scores.shape[0] == 0:
        return {k: math.nan for k in ks}
    return {k: float(h.mean()) for k, h in _recall_hits(scores, positive, ks).items()}


def recall_at_k_stderr(scores: np.ndarray, positive: np.ndarray, ks: tuple[int, ...] = (1, 5, 10)) -> dict[int, float]:
    """Binomial stderr of `recall_at_k` over the queries (given the candidates)."""
    scores, positive = np.asarray(scores, float), np.asarray(positive, bool)
    if scores.shape[0] == 0:
        return {k: math.nan for k in ks}
    return {k: mean_stderr(h) for k, h in _recall_hits(scores, positive, ks).items()}


def recall_at_k_chance(positive: np.ndarray, ks: tuple[int, ...] = (1, 5, 10)) -> dict[int, float]:
    """Expected recall@k of a random ranking: the mean over queries of 1 - C(T-P, k) / C(T, k) (T candidates, P positives)."""
    positive = np.asarray(positive, bool)
    if positive.shape[0] == 0:
        return {k: math.nan for k in ks}
    t = positive.shape[1]
    p = positive.sum(1)
    out = {}
    for k in ks:
        kk = min(k, t)
        # C(T-P, k) / C(T, k) = prod_{i<k} (T-P-i)/(T-i): no positive among k drawn without replacement
        miss = np.ones(p.size)
        for i in range(kk):
            miss *= np.clip((t - p - i) / (t - i), 0.0, None)
        out[k] = float((1 - miss).mean())
    return out
