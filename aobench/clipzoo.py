"""open_clip models for every stage that needs one: aobench's configs registered, one check, real loading code.

`check_open_clip(arch, pretrained)` validates a choice without loading weights (the evaluator's model
identity uses it); `create_open_clip(arch, pretrained)` checks the same way and loads. Both accept
open_clip's pretrained tags, a checkpoint path, `hf-hub:ORG/NAME` or `local-dir:PATH` as the
architecture; arch `tiny` (or `tiny=True`) gives a random aobench-tiny model. Errors name the
architecture or checkpoint and list valid choices.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager, nullcontext
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Optional

from aobench.errors import AobenchError, one_line
from aobench.paths import CHECKPOINT_SUFFIXES, looks_like_path

TINY_ARCH = "aobench-tiny"
SCHEMAS = ("hf-hub:", "local-dir:")  # open_clip model names that carry their own config and weights


@lru_cache(maxsize=1)
def register_configs() -> list[str]:
    """Add aobench's model configs (tiny and small 64x64 CLIPs) to open_clip's registry."""
    import open_clip

    cfg_dir = Path(str(resources.files("aobench.model_configs")))
    open_clip.add_model_config(cfg_dir)
    return sorted(p.stem for p in cfg_dir.glob("*.json"))


def check_open_clip(arch: str, pretrained: Optional[str] = None) -> str:
    """How (arch, pretrained) loads — 'schema', 'random', 'path' or 'tag' — without loading; AobenchError naming valid choices."""
    import open_clip

    register_configs()
    if arch.startswith(SCHEMAS):
        return "schema"
    if arch not in open_clip.list_models():
        near = [m for m in open_clip.list_models() if arch.lower().split("-")[0] in m.lower()][:6]
        raise AobenchError(f"unknown open_clip architecture {arch!r}; e.g. {', '.join(near or open_clip.list_models()[:6])} (see `aobench eval --list-models`)")
    if not pretrained:
        return "random"
    if Path(pretrained).expanduser().exists():
        return "path"
    if looks_like_path(pretrained, CHECKPOINT_SUFFIXES):
        raise AobenchError(f"checkpoint not found: {pretrained}")
    tags = open_clip.list_pretrained_tags_by_model(arch)
    if pretrained not in tags:
        raise AobenchError(f"unknown pretrained tag {pretrained!r} for {arch}; valid: {', '.join(tags) or 'none (give a checkpoint path)'}")
    return "tag"


def activation_mismatch(arch: str, pretrained: Optional[str]) -> Optional[str]:
    """A warning when an OpenAI architecture with GELU in its config loads a checkpoint from a path (None otherwise).

    OpenAI's CLIPs were trained with QuickGELU; open_clip's `ViT-B-32` config says GELU and only its `openai` tag
    switches to QuickGELU, so a checkpoint fine-tuned from OpenAI weights loaded as `ViT-B-32:/path` runs with the
    wrong activation and gives wrong numbers (sugar-crepe#7, vision-language-models-are-bows#35). A checkpoint
    carries no record of its activation, so the combination is what is flagged.
    """
    import open_clip

    register_configs()
    if not pretrained or arch.startswith(SCHEMAS) or not Path(pretrained).expanduser().exists():
        return None
    openai_archs = {a for a, tag in open_clip.list_pretrained() if tag == "openai"}
    cfg = open_clip.get_model_config(arch) or {}
    if arch in openai_archs and not cfg.get("quick_gelu", False) and f"{arch}-quickgelu" in open_clip.list_models():
        return (f"open_clip:{arch}:{pretrained}: {arch}'s config uses GELU, but OpenAI's CLIP weights (and checkpoints fine-tuned "
                f"from them) use QuickGELU — if these weights descend from OpenAI's, use open_clip:{arch}-quickgelu:{pretrained}, "
                "or the numbers are wrong (sugar-crepe#7)")  # fmt: skip
    return None


class _DropRandomInitWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("No pretrained weights loaded for model")


@contextmanager
def intended_random_init():
    """Silence open_clip's "initialized randomly" warning where random weights are the point (tiny models, training)."""
    drop = _DropRandomInitWarning()
    root = logging.getLogger()
    root.addFilter(drop)
    try:
        yield
    finally:
        root.removeFilter(drop)


def create_open_clip(arch: str, pretrained: Optional[str] = None, *, device: str = "cpu", tiny: bool = False, cache_dir: Optional[str] = None):
    """(model, preprocess, tokenizer) for an open_clip architecture and pretrained tag / checkpoint path."""
    import open_clip
    import torch

    if tiny or arch == "tiny":
        arch, pretrained = TINY_ARCH, None
        torch.manual_seed(0)  # the random tiny model is the same in every process
    how = check_open_clip(arch, pretrained)
    if how == "path":
        pretrained = str(Path(pretrained).expanduser())
        note = activation_mismatch(arch, pretrained)
        if note:
            logging.getLogger(__name__).warning("%s", note)
    try:
        with intended_random_init() if arch == TINY_ARCH and not pretrained else nullcontext():
            model, _, preprocess = open_clip.create_model_and_transforms(arch, pretrained=pretrained or None, device=device, cache_dir=cache_dir)
        return model.eval(), preprocess, open_clip.get_tokenizer(arch)
    except Exception as exc:  # noqa: BLE001 - network, missing repo, bad config: all one user-facing error
        msg = one_line(exc)
        if how == "schema":
            raise AobenchError(f"cannot load open_clip model {arch}: {msg} (offline? the Hub cannot be reached)") from None
        raise AobenchError(f"cannot load open_clip {arch}:{pretrained}: {msg} (offline? pretrained weights need the network once)") from None
