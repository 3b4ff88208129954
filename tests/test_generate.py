"""Generation: per-image seeds, the procedural renderer, and the diffusers backend's batch invariance."""

from types import SimpleNamespace

import numpy as np
import pytest

from aobench.generate.procedural import SHAPES, render
from aobench.seeds import image_seed
from aobench.recipe import GeneratorSpec


def test_image_seed_is_stable_and_distinct():
    s = image_seed(0, "test", "red", "car", 0)
    assert s == image_seed(0, "test", "red", "car", 0)
    assert len({s, image_seed(1, "test", "red", "car", 0), image_seed(0, "test", "red", "car", 1), image_seed(0, "train", "red", "car", 0)}) == 4
    assert 0 <= s < 2**62
    # pinned value: a change in derivation would silently change every dataset
    assert s == 792864057715155720


def test_procedural_same_seed_same_pixels_other_seed_differs():
    a, b, c = render("star", "red", 5), render("star", "red", 5), render("star", "red", 6)
    assert np.array_equal(np.asarray(a), np.asarray(b))
    assert not np.array_equal(np.asarray(a), np.asarray(c))


def test_procedural_draws_the_attribute():
    red = np.asarray(render("square", "red", 1, clutter=0)).reshape(-1, 3).astype(int)
    reddish = (red[:, 0] > 180) & (red[:, 1] < 80) & (red[:, 2] < 80)
    assert reddish.mean() > 0.1
    small = (np.asarray(render("circle", "small", 2, clutter=0)).astype(int).sum(-1) < 500).mean()
    large = (np.asarray(render("circle", "large", 2, clutter=0)).astype(int).sum(-1) < 500).mean()
    assert large > 3 * small > 0  # area scales with the size attribute
    striped = np.asarray(render("square", "striped", 3, clutter=0)).astype(int).sum(-1)
    assert (striped < 200).mean() > 0.05 and (striped > 600).mean() > 0.05  # dark and light stripes


def test_procedural_renders_every_shape():
    for s in SHAPES:
        img = np.asarray(render(s, "blue", 0, clutter=0)).astype(int)
        assert ((img[..., 2] > 150) & (img[..., 0] < 100)).sum() > 20, s


def _items(n):
    prompts = ["a photo of a glass tiger", "a photo of a striped bagel", "a photo of a red car", "a photo of an icy dog", "a photo of a wooden cat"]
    return [SimpleNamespace(prompt=prompts[i % 5], seed=1000 + i) for i in range(n)]


@pytest.mark.parametrize("family,guidance", [("sdxl", 0.0), ("sd", 3.0)])
def test_diffusers_batch_size_does_not_change_images(family, guidance):
    from aobench.generate.diffusers_backend import DiffusersBackend

    backend = DiffusersBackend(GeneratorSpec(family=family, steps=2, guidance_scale=guidance), tiny=True, device="cpu")
    items = _items(5)
    batched = [np.asarray(im) for im in backend.generate(items)]
    single = [np.asarray(backend.generate([it])[0]) for it in items]
    uneven = [np.asarray(im) for im in backend.generate(items[:3]) + backend.generate(items[3:])]
    assert batched[0].shape == (64, 64, 3)
    for a, b, c in zip(batched, single, uneven):
        assert np.array_equal(a, b) and np.array_equal(a, c)
    assert not np.array_equal(batched[0], batched[1])  # different seeds and prompts give different images


def test_diffusers_missing_model_path_is_a_user_error(tmp_path):
    from aobench.errors import AobenchError
    from aobench.generate.diffusers_backend import DiffusersBackend

    with pytest.raises(AobenchError, match="model path does not exist"):
        DiffusersBackend(GeneratorSpec(model=str(tmp_path / "nope")), device="cpu")


def test_diffusers_loads_a_saved_local_pipeline(tmp_path, tiny_sd_pipeline):
    """The real from_pretrained path: a tiny pipeline saved to disk, loaded by AutoPipelineForText2Image."""
    from aobench.generate.diffusers_backend import DiffusersBackend

    tiny_sd_pipeline.save_pretrained(tmp_path / "pipe")
    spec = GeneratorSpec(model=str(tmp_path / "pipe"), family="sd", resolution=64, steps=1, dtype="float32")
    backend = DiffusersBackend(spec, device="cpu")
    assert type(backend.pipe).__name__ == "StableDiffusionPipeline"
    img = backend.generate(_items(1))[0]
    assert img.size == (64, 64)
