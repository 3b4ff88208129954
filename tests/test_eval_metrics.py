"""Known-answer tests of the evaluator's pure metrics, and chance level of a random scorer."""

from __future__ import annotations

import math

import numpy as np
import pytest

from aobench.evaluate import metrics as M


def test_topk_accuracy_known_answer():
    s = np.array([[0.9, 0.1, 0.0], [0.2, 0.5, 0.3], [0.1, 0.2, 0.7]])
    t = np.array([0, 2, 1])
    acc = M.topk_accuracy(s, t, (1, 2, 5))
    assert acc[1] == pytest.approx(1 / 3)
    assert acc[2] == pytest.approx(1.0)
    assert math.isnan(acc[5])  # fewer than 5 classes, as CLIP_benchmark


def test_topk_ties_break_by_index():
    s = np.array([[0.5, 0.5, 0.5]])
    assert M.topk_accuracy(s, np.array([0]), (1,))[1] == 1.0
    assert M.topk_accuracy(s, np.array([2]), (1,))[1] == 0.0


def test_mean_per_class_recall_and_classification_metrics():
    assert M.mean_per_class_recall(np.array([0, 0, 1, 1, 1]), np.array([0, 0, 0, 1, 1])) == pytest.approx(5 / 6)
    s = np.eye(6)[[0, 1, 2, 3, 4, 0]]
    m = M.classification_metrics(s, np.array([0, 1, 2, 3, 4, 5]))
    assert m["acc1"] == pytest.approx(5 / 6)
    assert m["mean_per_class_recall"] == pytest.approx(5 / 6)
    assert m["acc5"] == pytest.approx(5 / 6)  # class 5 scores 0 like four others; ties go to lower indices


def test_bias_sweep_hand_made_curve():
    # classes [seen S, unseen U]; gap = s_S - s_U; seen images A (.1), B (.3); unseen images C (.2), D (.4)
    scores = np.array([[0.6, 0.5], [0.8, 0.5], [0.7, 0.5], [0.9, 0.5]])
    targets = np.array([0, 0, 1, 1])
    r = M.bias_sweep(scores, targets, np.array([False, True]), np.array([False, False, True, True]))
    # curve (unseen, seen): (0,1) (0,.5) (.5,.5) (.5,0) (1,0) → area .25, best HM .5 at (.5,.5)
    assert r["auc"] == pytest.approx(0.25)
    assert r["best_hm"] == pytest.approx(0.5)
    assert (r["best_hm_seen"], r["best_hm_unseen"]) == (pytest.approx(0.5), pytest.approx(0.5))
    assert r["seen_acc"] == 1.0 and r["unseen_acc"] == 0.0  # bias 0: everything predicted seen
    assert r["best_seen"] == 1.0 and r["best_unseen"] == 1.0
    assert np.all(np.diff(r["curve"]["unseen"]) >= 0) and np.all(np.diff(r["curve"]["seen"]) <= 0)


def test_bias_sweep_perfect_separation():
    scores = np.array([[1.0, 0.5], [0.8, 0.6]])  # seen image gap .5, unseen image gap .2
    r = M.bias_sweep(scores, np.array([0, 1]), np.array([False, True]), np.array([False, True]))
    assert r["auc"] == pytest.approx(1.0)
    assert r["best_hm"] == pytest.approx(1.0)


def test_winoground_known_answers():
    perfect = np.array([[[1.0, 0.0], [0.0, 1.0]]])
    assert M.winoground_scores(perfect) == {"text": 1.0, "image": 1.0, "group": 1.0}
    text_only = np.array([[[1.0, 2.0], [0.0, 3.0]]])  # s[g, caption, image]
    assert M.winoground_scores(text_only) == {"text": 1.0, "image": 0.0, "group": 0.0}


def test_pairwise_and_recall_at_k():
    assert M.pairwise_accuracy(np.array([1.0, 0.2, 0.5]), np.array([0.5, 0.3, 0.5])) == pytest.approx(1 / 3)
    s = np.array([[0.9, 0.1, 0.5], [0.1, 0.2, 0.3]])
    pos = np.array([[0, 0, 1], [1, 0, 0]], bool)
    assert M.recall_at_k(s, pos, (1, 2, 3)) == {1: 0.0, 2: 0.5, 3: 1.0}


def test_random_scorer_sits_at_chance():
    rng = np.random.default_rng(0)
    n = 40_000
    assert M.pairwise_accuracy(rng.normal(size=n), rng.normal(size=n)) == pytest.approx(0.5, abs=0.01)
    w = M.winoground_scores(rng.normal(size=(n, 2, 2)))
    # text and image 1/4 each; group 1/6: both matches must be the top two of four iid scores (not 1/4 * 1/2)
    assert w["text"] == pytest.approx(0.25, abs=0.01)
    assert w["image"] == pytest.approx(0.25, abs=0.01)
    assert w["group"] == pytest.approx(1 / 6, abs=0.01)
    s = rng.normal(size=(5000, 50))
    t = rng.integers(0, 50, 5000)
    acc = M.topk_accuracy(s, t, (1, 5))
    assert acc[1] == pytest.approx(1 / 50, abs=0.01) and acc[5] == pytest.approx(5 / 50, abs=0.015)


def test_random_embeddings_at_chance_through_cosine():
    """Random unit embeddings (what a random model gives) score at chance on image-text matching."""
    rng = np.random.default_rng(1)
    d, n = 64, 20_000
    unit = lambda x: x / np.linalg.norm(x, axis=-1, keepdims=True)  # noqa: E731
    img, cap, foil = unit(rng.normal(size=(n, d))), unit(rng.normal(size=(n, d))), unit(rng.normal(size=(n, d)))
    assert M.pairwise_accuracy((img * cap).sum(1), (img * foil).sum(1)) == pytest.approx(0.5, abs=0.015)


def test_stderr_of_proportions_is_lm_evals_binomial():
    # 6 images, targets ranked 1st for 3 of them: acc1 = 0.5, stderr = sqrt(p(1-p)/(n-1)) = sqrt(0.25/5)
    s = np.eye(6)[[0, 1, 2, 4, 5, 3]]
    m = M.classification_metrics(s, np.arange(6))
    assert m["acc1"] == 0.5 and m["acc1_stderr"] == pytest.approx(math.sqrt(0.25 / 5))
    assert M.mean_stderr([1, 1, 0, 0, 0, 1]) == pytest.approx(m["acc1_stderr"])
    # top 5 of 6 with ties broken by index order: targets 4 and 5 rank 6th → acc5 = 4/6
    assert m["acc5"] == pytest.approx(4 / 6) and m["acc5_stderr"] == pytest.approx(math.sqrt(4 / 6 * 2 / 6 / 5))
    assert math.isnan(M.classification_metrics(np.eye(3), np.arange(3))["acc5_stderr"])  # NaN where acc5 is
    assert M.pairwise_metrics(np.array([1.0, 0.2, 0.5, 2.0]), np.array([0.5, 0.3, 0.5, 1.0])) == {"acc": 0.5, "acc_stderr": pytest.approx(math.sqrt(0.25 / 3))}
    perfect = np.array([[[1.0, 0.0], [0.0, 1.0]]] * 3 + [[[0.0, 1.0], [1.0, 0.0]]])
    se = M.winoground_stderr(perfect)
    assert se == {"text_stderr": pytest.approx(math.sqrt(0.75 * 0.25 / 3)), "image_stderr": pytest.approx(math.sqrt(0.75 * 0.25 / 3)),
                  "group_stderr": pytest.approx(math.sqrt(0.75 * 0.25 / 3))}  # fmt: skip
    sc = np.array([[0.9, 0.1, 0.5], [0.1, 0.2, 0.3]])
    pos = np.array([[0, 0, 1], [1, 0, 0]], bool)
    assert M.recall_at_k_stderr(sc, pos, (1, 2, 3)) == {1: 0.0, 2: pytest.approx(math.sqrt(0.25 / 1)), 3: 0.0}


def test_mean_per_class_recall_stderr_is_a_seeded_bootstrap_over_images():
    rng = np.random.default_rng(2)
    targets = rng.integers(0, 4, 60)
    pred = np.where(rng.random(60) < 0.6, targets, rng.integers(0, 4, 60))
    got = M.mean_per_class_recall_stderr(pred, targets, seed=7, iters=300)
    # the same resamples one at a time: the std (ddof=1) of mean_per_class_recall over them
    idx = np.random.default_rng(7).integers(0, 60, size=(300, 60))
    ref = np.std([M.mean_per_class_recall(pred[i], targets[i]) for i in idx], ddof=1)
    assert got == pytest.approx(ref, rel=1e-12)
    assert M.mean_per_class_recall_stderr(pred, targets, seed=7, iters=300) == got
    # it estimates the spread of the statistic across test sets: 4 balanced classes of 250 at recall 0.6
    big_t = np.repeat(np.arange(4), 250)
    big_p = np.where(np.random.default_rng(3).random(1000) < 0.6, big_t, (big_t + 1) % 4)
    assert M.mean_per_class_recall_stderr(big_p, big_t) == pytest.approx(math.sqrt(0.24 / 250) / 2, rel=0.15)
    assert math.isnan(M.mean_per_class_recall_stderr(np.array([1]), np.array([1])))


def test_chance_levels():
    c = M.classification_chance(np.zeros((10, 40)), np.arange(10) % 40)
    assert c == {"chance/acc1": 1 / 40, "chance/acc5": 5 / 40, "chance/mean_per_class_recall": 1 / 40}
    assert math.isnan(M.classification_chance(np.zeros((3, 4)), np.arange(3))["chance/acc5"])  # as acc5 under 5 classes
    masked = np.array([[0.0, 1.0, -np.inf, -np.inf], [0.0, 1.0, 2.0, 3.0]])  # 2 and 4 candidates
    assert M.classification_chance(masked, np.array([0, 1]))["chance/acc1"] == pytest.approx((1 / 2 + 1 / 4) / 2)
    assert (M.PAIRWISE_CHANCE, M.WINOGROUND_CHANCE) == (0.5, {"text": 0.25, "image": 0.25, "group": 1 / 6})
    pos = np.zeros((2, 4), bool)
    pos[0, 1] = True
    pos[1, [0, 2]] = True  # 1 of 4 and 2 of 4 candidates positive
    ch = M.recall_at_k_chance(pos, (1, 2, 5))
    assert ch == {1: pytest.approx((1 / 4 + 2 / 4) / 2), 2: pytest.approx((1 / 2 + (1 - 1 / 6)) / 2), 5: 1.0}
    rng = np.random.default_rng(4)  # a random scorer reaches it
    big = rng.random((4000, 30)) < 0.1
    assert M.recall_at_k(rng.normal(size=big.shape), big, (5,))[5] == pytest.approx(M.recall_at_k_chance(big, (5,))[5], abs=0.02)
