"""CZSL protocols: `reference` (the community's evaluator, default) vs `exact`, on constructed score matrices.

Reference values come from hand derivations and from a slow loop-by-loop computation written here
from the protocol's description (not from aobench's code).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from aobench.evaluate import metrics as M
from conftest import cli


def slow_reference(scores, targets, unseen_class, unseen_image, final_bias=1e3, points=20, offset=1e-4):
    """The reference protocol, one image and one class at a time: (biases, seen accs, unseen accs, auc, best hm)."""
    n, c = len(scores), len(scores[0])

    def predict(i, bias):
        best, best_v = 0, None
        for j in range(c):
            v = float(scores[i][j]) + (bias if unseen_class[j] else 0.0)
            if best_v is None or v > best_v:
                best, best_v = j, v
        return best

    def accs(bias):
        seen_hits = [predict(i, bias) == targets[i] for i in range(n) if not unseen_image[i]]
        uns_hits = [predict(i, bias) == targets[i] for i in range(n) if unseen_image[i]]
        return (sum(seen_hits) / len(seen_hits) if seen_hits else 0.0, sum(uns_hits) / len(uns_hits) if uns_hits else 0.0)

    gaps = []
    for i in range(n):
        if unseen_image[i] and predict(i, final_bias) == targets[i]:
            best_seen = max(float(scores[i][j]) for j in range(c) if not unseen_class[j])
            gaps.append(best_seen - float(scores[i][targets[i]]) - offset)
    gaps.sort()
    k = max(len(gaps) // points, 1)
    biases = [gaps[j] for j in range(0, len(gaps), k)] + [final_bias]
    seen, uns = zip(*(accs(b) for b in biases))
    auc = sum((uns[j + 1] - uns[j]) * (seen[j + 1] + seen[j]) / 2 for j in range(len(biases) - 1))
    hms = [2 * s * u / (s + u) if s + u > 0 else 0.0 for s, u in zip(seen, uns)]
    return biases, list(seen), list(uns), auc, max(hms)


def test_reference_hand_made_four_images():
    # classes [seen S, unseen U]; gap = s_S - s_U; seen images A (.1), B (.3); unseen images C (.2), D (.4)
    scores = np.array([[0.6, 0.5], [0.8, 0.5], [0.7, 0.5], [0.9, 0.5]])
    args = (scores, np.array([0, 0, 1, 1]), np.array([False, True]), np.array([False, False, True, True]))
    r = M.reference_bias_sweep(*args)
    # biases: C's and D's gaps less 1e-4, then 1e3. At .1999 A has flipped (seen .5), C not yet (unseen 0);
    # at .3999 A and B flipped (seen 0), C flipped (unseen .5); at 1e3 everything is unseen (0, 1).
    assert r["curve"]["bias"] == pytest.approx([0.2 - 1e-4, 0.4 - 1e-4, 1e3])
    assert r["curve"]["seen"] == [0.5, 0.0, 0.0] and r["curve"]["unseen"] == [0.0, 0.5, 1.0]
    assert r["auc"] == pytest.approx(0.125)  # trapezoid (0, .5) → (.5, 0); nothing after
    assert r["best_hm"] == 0.0  # the (.5, .5) corner of the exact curve is never visited
    assert r["best_seen"] == 0.5 and r["best_unseen"] == 1.0
    assert (r["seen_acc"], r["unseen_acc"]) == (1.0, 0.0)  # at bias 0, as in the exact protocol
    exact = M.bias_sweep(*args)
    assert exact["auc"] == pytest.approx(0.25) and exact["best_hm"] == pytest.approx(0.5)
    assert M.czsl_sweep(*args, protocol="exact") == exact and M.czsl_sweep(*args) == r


def test_reference_thins_candidates_to_about_twenty():
    # one seen class S, one unseen class U; 45 unseen images with gaps .01 i (all right at the final bias),
    # 10 seen images with gaps .05 j. 45 // 20 = 2: every second gap is a bias, 23 of them, then 1e3.
    i, j = np.arange(1, 46), np.arange(1, 11)
    scores = np.concatenate([np.stack([0.5 + 0.01 * i, np.full(45, 0.5)], 1), np.stack([0.5 + 0.05 * j, np.full(10, 0.5)], 1)])
    targets = np.array([1] * 45 + [0] * 10)
    unseen_image = np.array([True] * 45 + [False] * 10)
    r = M.reference_bias_sweep(scores, targets, np.array([False, True]), unseen_image)
    m = np.arange(23)
    bias = 0.01 * (2 * m + 1) - 1e-4
    uns = np.append(2 * m / 45, 1.0)  # unseen images with gap below the bias: i <= 2m
    seen = np.append([(0.05 * j >= b).mean() for b in bias], 0.0)  # seen images whose gap is at least the bias
    assert r["n_candidate_biases"] == 45 and len(r["curve"]["bias"]) == 24
    assert r["curve"]["bias"] == pytest.approx(list(bias) + [1e3], abs=1e-9)
    assert r["curve"]["unseen"] == pytest.approx(list(uns)) and r["curve"]["seen"] == pytest.approx(list(seen))
    assert r["auc"] == pytest.approx(float(np.sum(np.diff(uns) * (seen[1:] + seen[:-1]) / 2)))
    hm = np.where(seen + uns > 0, 2 * seen * uns / np.maximum(seen + uns, 1e-12), 0)
    assert r["best_hm"] == pytest.approx(hm.max()) and r["best_hm_bias"] == pytest.approx(([*bias, 1e3])[int(hm.argmax())])


@pytest.mark.parametrize("seed", range(6))
def test_reference_equals_slow_computation_on_random_matrices(seed):
    rng = np.random.default_rng(seed)
    n, c = rng.integers(30, 120), rng.integers(4, 12)
    scores = rng.normal(size=(n, c))
    unseen_class = np.zeros(c, bool)
    unseen_class[rng.choice(c, size=c // 2, replace=False)] = True
    targets = rng.integers(0, c, size=n)
    unseen_image = unseen_class[targets]
    r = M.reference_bias_sweep(scores, targets, unseen_class, unseen_image)
    biases, seen, uns, auc, best_hm = slow_reference(scores.tolist(), targets.tolist(), unseen_class.tolist(), unseen_image.tolist())
    assert r["curve"]["bias"] == pytest.approx(biases, abs=1e-12)
    assert r["curve"]["seen"] == seen and r["curve"]["unseen"] == uns
    assert r["auc"] == pytest.approx(auc, abs=1e-12) and r["best_hm"] == pytest.approx(best_hm, abs=1e-12)
    exact = M.bias_sweep(scores, targets, unseen_class, unseen_image)
    assert r["best_unseen"] == exact["best_unseen"]  # both end with every unseen class first


def test_reference_without_seen_classes_or_correct_unseen_images():
    scores = np.array([[0.9, 0.1], [0.2, 0.8]])
    r = M.reference_bias_sweep(scores, np.array([0, 1]), np.array([True, True]), np.array([True, True]))
    assert r["curve"]["bias"] == [1e3] and r["auc"] == 0.0 and r["best_unseen"] == 1.0  # nothing to calibrate
    wrong = M.reference_bias_sweep(np.array([[0.9, 0.1, 0.5]]), np.array([1]), np.array([False, True, True]), np.array([True]))
    assert wrong["n_candidate_biases"] == 0 and wrong["curve"]["unseen"] == [0.0]


def test_czsl_task_records_protocol_and_reference_closed_world(shapes_build, tmp_path, capsys):
    from aobench.evaluate.runner import evaluate

    cache = tmp_path / "cache"
    res = {}
    for protocol in ("reference", "exact"):
        run = evaluate(str(shapes_build), ["tiny"], tmp_path / protocol, tasks=["czsl"], splits=["test_unusual"], cache_dir=cache, progress=False, options={"czsl_protocol": protocol})
        res[protocol] = run.results[0]["metrics"]
        saved = json.loads(run.paths[0].read_text())["metrics"]
        assert saved["protocol"] == protocol
    # test_unusual alone: 36 unusual pairs evaluated; the reference closed world adds the 120 seen (training) pairs
    assert res["exact"]["closed"]["n_classes"] == 36 and res["reference"]["closed"]["n_classes"] == 156
    assert res["reference"]["open"]["n_classes"] == res["exact"]["open"]["n_classes"]
    assert res["reference"]["closed"]["curve"]["bias"][-1] == 1e3

    code, _, _ = cli(capsys, "eval", shapes_build, "--model", "tiny", "--out", tmp_path / "cli", "--tasks", "czsl", "--cache-dir", cache)
    assert code == 0
    (path,) = (tmp_path / "cli").glob("*_czsl.json")
    assert json.loads(path.read_text())["metrics"]["protocol"] == "reference"  # the default
    code, _, err = cli(capsys, "eval", shapes_build, "--model", "tiny", "--out", tmp_path / "bad", "--czsl-protocol", "loose")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "reference or exact" in err
