"""Cards tell the truth about rights: the card's licence follows the generator's (SDXL-Turbo: non-commercial; procedural: CC0)."""

from __future__ import annotations

import pytest

from aobench.errors import AobenchError


def _spec(**kw):
    from aobench.recipe import GeneratorSpec

    return GeneratorSpec(**kw)


def test_generator_licences_from_the_table():
    from aobench.generate.licenses import generator_license

    sdxl = generator_license(_spec(backend="diffusers", model="stabilityai/sdxl-turbo"))
    assert sdxl.card_fields() == {"license": "other", "license_name": "sai-nc-community", "license_link": "https://huggingface.co/stabilityai/sdxl-turbo/blob/main/LICENSE.md"}
    assert "non-commercial" in sdxl.summary
    assert generator_license(_spec(backend="procedural")).card_fields() == {"license": "cc0-1.0"}
    unknown = generator_license(_spec(backend="diffusers", model="someone/some-model"))
    assert unknown.card_fields() == {"license": "other", "license_name": "unknown", "license_link": "https://huggingface.co/someone/some-model"}
    assert "does not know the licence" in unknown.summary and "generator.license" in unknown.summary
    assert generator_license(_spec(backend="diffusers", model="/local/pipeline")).card_fields() == {"license": "other", "license_name": "unknown"}


def test_recipe_states_the_generator_licence():
    from aobench.generate.licenses import generator_license
    from aobench.recipe import load

    spec = _spec(backend="diffusers", model="someone/some-model", license="other", license_name="some-terms", license_link="https://example.org/terms")
    lic = generator_license(spec)
    assert lic.card_fields() == {"license": "other", "license_name": "some-terms", "license_link": "https://example.org/terms"}
    assert "https://example.org/terms" in lic.summary
    assert generator_license(_spec(backend="diffusers", model="someone/x", license="mit")).card_fields() == {"license": "mit"}
    with pytest.raises(AobenchError, match="license: other needs license_name and license_link"):
        load("imagenet-ao", {"generator": {"license": "other"}})
    with pytest.raises(AobenchError, match="generator.license_name"):
        load("imagenet-ao", {"generator": {"license": "other", "license_name": "Not A Slug", "license_link": "https://x"}})


@pytest.mark.slow
def test_imagenet_ao_tiny_card_is_a_smoke_build_with_no_model_licence(tmp_path):
    # a --tiny build's images come from a random tiny pipeline, not SDXL-Turbo: its card must not claim SDXL-Turbo's terms (issue 20.9)
    from huggingface_hub import DatasetCard

    from aobench.build import build

    out = tmp_path / "imagenet-tiny"
    assert build("imagenet-ao", out, tiny=True, limit=2).status == "complete"
    text = (out / "README.md").read_text()
    meta = DatasetCard(text).data.to_dict()
    assert meta["license"] == "cc0-1.0" and "license_name" not in meta
    assert "**Smoke build (`--tiny`).**" in text and "not from `stabilityai/sdxl-turbo`" in text
    assert "## Licence" in text and "non-commercial" not in text and "randomly initialised" in text
    assert "pypi.org" not in text  # aobench has no PyPI page to link


def test_shapes_card_is_cc0_with_its_meaning(shapes_build):
    from huggingface_hub import DatasetCard

    text = (shapes_build / "README.md").read_text()
    meta = DatasetCard(text).data.to_dict()
    assert meta["license"] == "cc0-1.0" and "license_name" not in meta
    assert "public domain" in text and "pypi.org" not in text
