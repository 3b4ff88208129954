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
