"""NMI sweep end to end: study files, measured NMI per level, resume after interruption, open_clip checkpoints."""

import csv
import json
import shutil
from dataclasses import replace

import pytest
import torch

from aobench.study.nmi_sweep import plan_runs, run_sweep
from aobench.study.profiles import get_profile
from aobench.study.splits import TOLERANCE
from conftest import cli, run_cli

# every test here trains CLIPs (the shared fixture builds five datasets): end to end, out of the `-m "not slow"` loop
pytestmark = pytest.mark.slow


def micro_profile(**train):
    """The quick profile shrunk to seconds: 600 images (2 per seen pair), 1-image-per-pair test splits, a few steps."""
    p = get_profile("quick", images=600, epochs=train.pop("epochs", 2), min_images_per_seen_pair=2)
    return replace(p, levels=[0.2, 0.4], test_seen_per_pair=1, test_unusual_per_pair=1, train=replace(p.train, batch_size=100, **train))


class Interrupt(Exception):
    pass


@pytest.fixture(scope="module")
def micro_data(tmp_path_factory):
    """Built data and solved levels (0.2, 0.4; controlled and mixture designs) of the micro profile, made once for this module."""
    from aobench.study.nmi_sweep import MIXTURE, _eval_recipe, main_design, make_solver, prepare_level
    from aobench.study.splits import build_recipe

    prof = micro_profile()
    base = tmp_path_factory.mktemp("micro")
    build_recipe(_eval_recipe(prof), base / "data" / "eval")
    for design in (main_design(prof), MIXTURE):
        solver = make_solver(prof, design)
        for t in prof.levels:
            prepare_level(base, prof, solver, t, design)
    return base


def seeded(micro_data, path):
    """A fresh study folder holding copies of the prepared data (builds are deterministic, so this only saves time)."""
    for name in ("data", "levels"):
        shutil.copytree(micro_data / name, path / name)
    return path


def test_resume_skips_finished_runs_and_continues_unfinished_one(tmp_path, micro_data):
    prof = micro_profile(epochs=2)
    out = seeded(micro_data, tmp_path / "sweep")
    names = [r.name for r in plan_runs(prof)]

    def stop(run, epoch):
        if run == names[1] and epoch == 1:
            raise Interrupt  # a kill after the second run's first epoch checkpoint

    with pytest.raises(Interrupt):
        run_sweep(out, prof, on_epoch_end=stop)
    first_ckpt = out / "runs" / names[0] / "checkpoints" / "epoch_latest.pt"
    assert (out / "runs" / names[0] / "run.json").exists()
    assert not (out / "runs" / names[1] / "run.json").exists()
    assert torch.load(out / "runs" / names[1] / "checkpoints" / "epoch_latest.pt", weights_only=True)["epoch"] == 1
    mtime = first_ckpt.stat().st_mtime_ns

    seen_epochs = []
    res = run_sweep(out, prof, on_epoch_end=lambda run, e: seen_epochs.append((run, e)))
    assert res.skipped == [names[0]] and res.resumed == [names[1]] and res.trained == []
    assert seen_epochs == [(names[1], 2)]  # epoch 1 was not redone
    assert first_ckpt.stat().st_mtime_ns == mtime  # the finished run was not retrained
    log = [json.loads(x) for x in (out / "study_log.jsonl").read_text().splitlines()]
    assert [(r["run"], r["event"]) for r in log] == [(names[0], "trained"), (names[0], "skipped"), (names[1], "resumed")]
    assert log[-1]["from_epoch"] == 1
    assert res.complete and len(res.study["runs"]) == 2

    # deterministic data order: the resumed run ends with the weights of an uninterrupted one (a sweep of its level
    # alone plans the same run: a run's weights depend on its own seed, not on the runs before it)
    ref = run_sweep(seeded(micro_data, tmp_path / "ref"), replace(prof, levels=prof.levels[1:]))
    assert [r.name for r in plan_runs(replace(prof, levels=prof.levels[1:]))] == names[1:] and ref.trained == names[1:]
    a = torch.load(out / "runs" / names[1] / "checkpoints" / "epoch_latest.pt", weights_only=True)["state_dict"]
    b = torch.load(tmp_path / "ref" / "runs" / names[1] / "checkpoints" / "epoch_latest.pt", weights_only=True)["state_dict"]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert ref.study["runs"][0]["metrics"] == res.study["runs"][1]["metrics"]


def test_checkpoint_loads_through_open_clip_with_its_path(tmp_path, micro_data):
    import open_clip

    from aobench.clipzoo import create_open_clip, register_configs

    prof = replace(micro_profile(epochs=1), levels=[0.4])
    res = run_sweep(seeded(micro_data, tmp_path / "s"), prof)
    run = res.study["runs"][0]
    ckpt = run["checkpoint"]
    state = torch.load(ckpt, weights_only=True)
    assert {"epoch", "name", "state_dict", "optimizer"} <= set(state) and state["epoch"] == 1
    register_configs()
    model, _, _ = open_clip.create_model_and_transforms(prof.train.arch, pretrained=ckpt)
    for k, v in model.state_dict().items():
        assert torch.equal(v, state["state_dict"][k]), k
    model2, _, _ = create_open_clip(prof.train.arch, ckpt)
    assert torch.equal(model2.logit_scale, state["state_dict"]["logit_scale"])
    assert run["model_spec"] == f"open_clip:{prof.train.arch}:{ckpt}"


def test_shards_split_runs_and_merge(tmp_path, micro_data):
    prof = replace(micro_profile(epochs=1), seeds=2, levels=[0.4])
    out = seeded(micro_data, tmp_path / "s")
    r0 = run_sweep(out, prof, shard=(0, 2))
    assert r0.trained == ["nmi-0.400-k2-seed0"] and not r0.complete
    assert json.loads((out / "study.json").read_text())["missing"] == ["nmi-0.400-k2-seed1"]
    r1 = run_sweep(out, prof, shard=(1, 2))
    assert r1.trained == ["nmi-0.400-k2-seed1"] and r1.complete
    assert [r["seed"] for r in r1.study["runs"]] == [0, 1]


def test_other_settings_in_same_dir_refused(tmp_path, micro_data):
    from aobench.errors import AobenchError

    prof = replace(micro_profile(epochs=1), levels=[0.4])
    run_sweep(seeded(micro_data, tmp_path / "s"), prof)
    with pytest.raises(AobenchError, match="other settings"):
        run_sweep(tmp_path / "s", replace(prof, train=replace(prof.train, lr=1e-4)))


def test_ablation_reports_both_designs_with_coverage(tmp_path, micro_data):
    prof = replace(micro_profile(epochs=1), seeds=2)
    out = seeded(micro_data, tmp_path / "s")
    res = run_sweep(out, prof, ablation=True)
    study = res.study
    assert res.complete and study["min_images_per_seen_pair"] == 2 and study["design"]["kind"] == "shared-to-own"
    assert [r["design"]["tag"] for r in study["runs"]] == ["k2"] * 4
    assert [r["design"]["tag"] for r in study["ablation"]["runs"]] == ["mixture"] * 4
    # controlled: the same per-pair counts at both levels; mixture: the top level starves some seen pairs
    cov = [lv["coverage"] for lv in study["levels"]]
    assert [c["min_images_per_seen_pair"] for c in cov] == [2, 2] and cov[0]["max_images_per_seen_pair"] == cov[1]["max_images_per_seen_pair"]
    assert all(c["seen_pairs_present"] == c["n_seen_pairs"] == 120 for c in cov)
    abl = [lv["coverage"] for lv in study["ablation"]["levels"]]
    assert abl[0]["min_images_per_seen_pair"] > abl[1]["min_images_per_seen_pair"]
    # the stats every block carries, and the top-level primary test
    assert study["p_value"] == study["spearman"]["p_value"] and study["spearman"]["method"] == "exact"
    for block in (study, study["ablation"]):
        lv = block["levels"][0]["metrics"]["closed_unusual_composition_acc"]
        assert lv["n"] == 2 and lv["ci95"] is not None
        assert block["stats"]["closed_seen_composition_acc"]["runs"]["slope"]["ci95"] is not None
    summary = (out / "summary.md").read_text()
    assert "Ablation: the mixture knob" in summary and "per −0.1 NMI" in summary and "95% CI" in summary
    # each level records AMI beside plug-in NMI, and the plug-in bias expected at its table size (E[MI] of no dependence)
    for lv in study["levels"]:
        level = json.loads((out / "levels" / f"nmi-{lv['target_nmi']:.3f}-k2" / "nmi" / "nmi.json").read_text())
        assert lv["measured_ami"] == pytest.approx(level["ami"]) and lv["measured_ami"] < lv["measured_nmi"]
        bias = lv["plugin_bias"]
        assert bias["expected_mi"] == pytest.approx(level["expected_mi"]) and 0 < bias["expected_nmi"] < lv["measured_nmi"]
        assert bias["miller_madow_mi"] == pytest.approx((bias["n_attributes"] - 1) * (bias["n_objects"] - 1) / (2 * bias["n_events"]))
    assert "Plug-in bias at this table size" in summary and "| AMI | chance NMI at this size |" in summary
    rows = list(csv.DictReader((out / "study.csv").open()))
    assert len(rows) == 8 and {r["design"] for r in rows} == {"k2", "mixture"} and rows[0]["min_images_per_seen_pair"] == "2"
    with pytest.raises(Exception, match="needs --min-images-per-seen-pair"):
        run_sweep(out, replace(prof, min_images_per_seen_pair=0), ablation=True)


def test_plain_epoch_lines_when_stderr_is_not_a_terminal(tmp_path, micro_data):
    res = run_cli("study", "nmi-sweep", "--out", seeded(micro_data, tmp_path / "s"), "--profile", "quick", "--images", "600",
                  "--min-images-per-seen-pair", "2", "--nmi", "0.4", "--epochs", "2", timeout=600)  # fmt: skip
    assert res.returncode == 0, res.stderr[-2000:]
    lines = res.stderr.splitlines()
    epochs = [x for x in lines if x.startswith("nmi-0.400-k2-seed0: epoch ")]
    assert [x.split(",")[0] for x in epochs] == ["nmi-0.400-k2-seed0: epoch 1/2", "nmi-0.400-k2-seed0: epoch 2/2"]
    assert all(", loss " in x and ", elapsed " in x for x in epochs)
    assert any(x.startswith("run 1/1 nmi-0.400-k2-seed0: done in ") for x in lines)


def test_quick_profile_end_to_end(tmp_path, capsys):
    out = tmp_path / "study"
    res = run_cli("study", "nmi-sweep", "--out", out, "--profile", "quick", timeout=1800)
    assert res.returncode == 0, res.stderr[-2000:]
    for name in ("study.json", "study.csv", "accuracy_vs_nmi.png", "summary.md", "baseline.json"):
        assert (out / name).stat().st_size > 0, name
    study = json.loads((out / "study.json").read_text())
    prof = get_profile("quick")
    assert study["complete"] and [r["target_nmi"] for r in study["runs"]] == prof.levels
    assert study["min_images_per_seen_pair"] == prof.min_images_per_seen_pair and "p_value" in study
    assert [lv["coverage"]["min_images_per_seen_pair"] for lv in study["levels"]] == [prof.min_images_per_seen_pair] * 2
    baseline = study["baseline"]
    for run in study["runs"]:
        assert {"target_nmi", "measured_nmi", "seed", "checkpoint", "metrics"} <= set(run)
        assert abs(run["measured_nmi"] - run["target_nmi"]) <= TOLERANCE
        # the measurement on disk is aobench nmi's output for that split's captions
        level = json.loads((out / "levels" / f"nmi-{run['target_nmi']:.3f}-k{prof.min_images_per_seen_pair}" / "nmi" / "nmi.json").read_text())
        assert level["nmi"] == pytest.approx(run["measured_nmi"])
        m = run["metrics"]
        for k in ("closed_seen_composition_acc", "closed_unusual_composition_acc", "seen_object_acc", "unusual_object_acc",
                  "seen_attribute_acc", "unusual_attribute_acc", "closed_auc", "closed_best_hm", "open_auc", "open_best_hm"):
            assert 0.0 <= m[k] <= 1.0, k
        # trained models beat the random (untrained) model on seen pairs, by a wide margin
        assert m["closed_seen_composition_acc"] > baseline["closed_seen_composition_acc"] + 0.1
        assert m["seen_attribute_acc"] > baseline["seen_attribute_acc"] + 0.3
    rows = list(csv.DictReader((out / "study.csv").open()))
    assert len(rows) == 2 and "closed_unusual_composition_acc" in rows[0] and "measured_nmi" in rows[0]
    summary = (out / "summary.md").read_text()
    assert "Spearman" in summary and "Verdict" in summary
    # a rerun of the finished sweep trains nothing (through the CLI app in this process)
    code, stdout, _ = cli(capsys, "study", "nmi-sweep", "--out", out, "--profile", "quick")
    assert code == 0 and "trained 0, resumed 0, skipped 2" in stdout
