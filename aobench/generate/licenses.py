"""The licence images inherit from their generator: per backend (procedural → CC0) and per diffusers model id.

A recipe may state it itself (`generator.license`, `generator.license_name`, `generator.license_link`);
otherwise the table below decides, and a model it does not know gets `other`/`unknown` with a sentence
asking the builder to check the model's terms. The dataset card's `license:` follows this (see
`dataset/card.py`), so a card never claims more rights than the generator grants.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class License:
    """A licence as the Hub's card metadata spells it, plus one sentence on what it means for users."""

    id: str  # an SPDX / Hub licence id, or "other"
    name: str = ""  # license_name (a lower-case slug) when id is "other"
    link: str = ""  # license_link: where the terms are
    summary: str = ""

    def card_fields(self) -> dict:
        """The card's YAML licence fields: `license`, plus `license_name`/`license_link` for `other`."""
        if self.id != "other":
            return {"license": self.id}
        return {"license": "other", "license_name": self.name or "unknown", **({"license_link": self.link} if self.link else {})}


CC0 = License(
    "cc0-1.0", link="https://creativecommons.org/publicdomain/zero/1.0/",
    summary="The images are drawn by code, with no model weights involved, and are dedicated to the public domain (CC0 1.0): use them for any purpose, no attribution needed.",
)  # fmt: skip

# `--tiny`: a randomly initialised pipeline built from configs, no trained weights, so no model's terms apply
TINY = License(
    "cc0-1.0", link="https://creativecommons.org/publicdomain/zero/1.0/",
    summary="A smoke build (`--tiny`): the images come from a tiny, randomly initialised pipeline built from configs, with no trained "
    "weights, so they carry no model's terms and are dedicated to the public domain (CC0 1.0). The recipe's model did not make them.",
)  # fmt: skip

_SAI_NC = "https://stability.ai/license"
BACKEND_LICENSES = {"procedural": CC0}
MODEL_LICENSES = {
    "stabilityai/sdxl-turbo": License(
        "other", "sai-nc-community", "https://huggingface.co/stabilityai/sdxl-turbo/blob/main/LICENSE.md",
        "The images were made with SDXL-Turbo and fall under Stability AI's non-commercial community licence: use them for research "
        f"and other non-commercial purposes; commercial use needs a licence from Stability AI ({_SAI_NC}).",
    ),
    "stabilityai/stable-diffusion-xl-base-1.0": License(
        "openrail++", link="https://huggingface.co/stabilityai/stable-diffusion-xl-base-1.0",
        summary="The images were made with SDXL 1.0 under the CreativeML OpenRAIL++-M licence: use is open, including commercial, within its use restrictions.",
    ),
    "stable-diffusion-v1-5/stable-diffusion-v1-5": License(
        "creativeml-openrail-m", link="https://huggingface.co/stable-diffusion-v1-5/stable-diffusion-v1-5",
        summary="The images were made with Stable Diffusion 1.5 under the CreativeML OpenRAIL-M licence: use is open, including commercial, within its use restrictions.",
    ),
    "black-forest-labs/FLUX.1-schnell": License(
        "apache-2.0", link="https://huggingface.co/black-forest-labs/FLUX.1-schnell",
        summary="The images were made with FLUX.1 [schnell], released under Apache 2.0: use them for any purpose, including commercial.",
    ),
}  # fmt: skip


def generator_license(spec, tiny: bool = False) -> License:
    """The licence of images from a recipe's generator spec: a `--tiny` model's, else the recipe's own fields, else the tables, else `unknown`."""
    if tiny and spec.backend not in BACKEND_LICENSES:  # the recipe's model (and its licence) took no part
        return TINY
    if getattr(spec, "license", None):
        where = spec.license_name or spec.license
        return License(spec.license, spec.license_name or "", spec.license_link or "",
                       f"The recipe states the images' licence, {where}{f' ({spec.license_link})' if spec.license_link else ''}: read its terms before using or sharing them.")
    if spec.backend in BACKEND_LICENSES:
        return BACKEND_LICENSES[spec.backend]
    if spec.model in MODEL_LICENSES:
        return MODEL_LICENSES[spec.model]
    link = f"https://huggingface.co/{spec.model}" if spec.model and spec.model.count("/") == 1 and not spec.model.startswith((".", "/", "~")) else ""
    return License(
        "other", "unknown", link,
        f"aobench does not know the licence of the generator {spec.model or spec.backend!r}: the images carry its terms — check them before "
        "using or sharing the images, and state them in the recipe (generator.license, generator.license_name, generator.license_link).",
    )  # fmt: skip
