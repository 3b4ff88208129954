"""`open_clip:…` and `tiny` model specs: open_clip architectures with pretrained tags, checkpoints, random weights or Hub repos."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Optional

from aobench.errors import AobenchError
from aobench.evaluate.cache import file_identity, hash_text
from aobench.evaluate.kinds.base import EmbeddingModel, Identity, ModelKind, ModelSpec
from aobench.evaluate.revisions import download_files, resolve_commit, split_revision

HUB = "hf-hub:"
CONFIG_FILE = "open_clip_config.json"
WEIGHT_FILES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")



def wrap_open_clip(name: str, model, preprocess, tokenizer, device: str, amp: bool) -> EmbeddingModel:
    """An open_clip (model, preprocess, tokenizer) behind the EmbeddingModel interface."""

    def enc_t(texts):
        return model.encode_text(tokenizer(texts).to(device))

    return EmbeddingModel(name, preprocess, model.encode_image, enc_t, device=device, amp=amp, module=model)

def _tag_commit(arch: str, tag: str) -> Optional[str]:
    """The Hub commit of an open_clip pretrained tag's weights, when the tag lives on the Hub and the commit is known."""
    import open_clip

    hub = (open_clip.get_pretrained_cfg(arch, tag) or {}).get("hf_hub") or ""
    repo, filename = os.path.split(hub)
    return resolve_commit(repo, None, (filename,) if filename else WEIGHT_FILES) if repo else None


class OpenClipKind(ModelKind):
    """open_clip:ARCH[:PRETRAINED] and open_clip:hf-hub:ORG/NAME[@REVISION]."""

    forms = {
        "open_clip:ARCH:PRETRAINED": "open_clip architecture with a pretrained tag (downloads once)",
        "open_clip:ARCH:/path/ckpt.pt": "open_clip architecture with a local checkpoint",
        "open_clip:ARCH:/path/DIR/": "every checkpoint in a folder, one model each, in epoch/step order (a series; `step` in each result)",
        "open_clip:ARCH": "open_clip architecture with random weights (seed 0)",
        "open_clip:hf-hub:ORG/NAME": "open_clip model from the Hugging Face Hub",
        "open_clip:hf-hub:ORG/NAME@REVISION": "the same, pinned to a branch, tag or commit (the commit is recorded)",
    }

    def parse(self, spec: str, body: str) -> ModelSpec:
        """ARCH[:PRETRAINED] or hf-hub:ORG/NAME[@REVISION]."""
        if body.startswith(HUB):
            repo, rev = split_revision(body[len(HUB):])
            if "/" not in repo:
                raise AobenchError(f"bad model spec {spec!r}: expected open_clip:hf-hub:ORG/NAME[@REVISION]")
            # a pinned model's `pretrained` names its revision, so pinned and unpinned results never share a file;
            # unpinned is the Hub's current default branch (its weights, not random ones: the commit is recorded)
            return ModelSpec(spec=spec, kind="open_clip", arch=HUB + repo, revision=rev, model_name=HUB + repo, pretrained_name=rev or "hub-latest")
        arch, _, pretrained = body.partition(":")
        if not arch:
            raise AobenchError(f"bad model spec {spec!r}: expected open_clip:ARCH:PRETRAINED (see `aobench eval --list-models`)")
        return ModelSpec(spec=spec, kind="open_clip", arch=arch, pretrained=pretrained or None, model_name=arch, pretrained_name=pretrained or "random")

    def expand(self, ms: ModelSpec) -> list[ModelSpec]:
        """A checkpoint folder → one spec per checkpoint file, in step order, each knowing its step and its folder's spec."""
        if not ms.pretrained or ms.arch.startswith(HUB) or not Path(ms.pretrained).expanduser().is_dir():
            return [ms]
        from aobench.evaluate.checkpoints import list_checkpoints

        try:
            found = list_checkpoints(ms.pretrained)
        except AobenchError as exc:
            raise AobenchError(f"bad model spec {ms.spec!r}: {exc}") from None
        return [replace(self.parse(f"open_clip:{ms.arch}:{ck.path}", f"{ms.arch}:{ck.path}"), step=ck.step, series=ms.spec) for ck in found]

    def identify(self, ms: ModelSpec) -> Identity:
        """Checked once here (clipzoo's check); Hub repos and tags resolve their commit."""
        import open_clip

        from aobench.clipzoo import check_open_clip

        if ms.pretrained and Path(ms.pretrained).expanduser().is_dir():
            raise AobenchError(f"{ms.pretrained} is a checkpoint folder: it stands for one model per checkpoint (evaluate expands it)")
        how = check_open_clip(ms.arch, ms.pretrained)
        if how == "schema":
            repo = ms.arch[len(HUB):]
            commit = resolve_commit(repo, ms.revision, (CONFIG_FILE,))
            if ms.revision is None:
                return Identity(hash_text(f"open_clip|{ms.arch}|{open_clip.__version__}"), commit)
            if commit is None:
                raise AobenchError(f"cannot resolve revision {ms.revision!r} of {repo} (offline and not in the Hub cache, or no such revision)")
            return Identity(hash_text(f"open_clip|{ms.arch}@{commit}|{open_clip.__version__}"), commit)
        cfg = json.dumps(open_clip.get_model_config(ms.arch), sort_keys=True)
        if how == "random":
            return Identity(hash_text(f"open_clip|{ms.arch}|random0|{cfg}|{open_clip.__version__}"))
        if how == "path":
            return Identity(hash_text(f"open_clip|{ms.arch}|{file_identity(Path(ms.pretrained).expanduser())}|{cfg}"))
        return Identity(hash_text(f"open_clip|{ms.arch}|{ms.pretrained}|{cfg}|{open_clip.__version__}"), _tag_commit(ms.arch, ms.pretrained))

    def load_module(self, ms: ModelSpec, device: str):
        """(module, wrap); a pinned Hub model loads its files at the resolved commit."""
        import torch

        from aobench.clipzoo import create_open_clip

        arch = ms.arch
        if ms.revision is not None:
            repo = arch[len(HUB):]
            commit = resolve_commit(repo, ms.revision, (CONFIG_FILE,))
            if commit is None:
                raise AobenchError(f"cannot resolve revision {ms.revision!r} of {repo} (offline and not in the Hub cache, or no such revision)")
            arch = "local-dir:" + str(download_files(repo, commit, [(CONFIG_FILE,), WEIGHT_FILES]))
        elif ms.pretrained is None and not arch.startswith(HUB):
            torch.manual_seed(0)  # random baseline weights are the same in every process
        model, preprocess, tokenizer = create_open_clip(arch, ms.pretrained, device=device)
        return model, lambda m, amp: wrap_open_clip(ms.spec, m, preprocess, tokenizer, device, amp)

    def listing(self) -> dict[str, list[str]]:
        """aobench's configs, open_clip's pretrained tags and architectures."""
        import open_clip

        from aobench.clipzoo import register_configs

        ours = register_configs()
        return {
            "aobench configs (random weights or your checkpoint)": [f"open_clip:{n}" + ("" if n == "aobench-tiny" else ":/path/ckpt.pt") for n in ours],
            "open_clip pretrained": [f"open_clip:{arch}:{tag}" for arch, tag in open_clip.list_pretrained()],
            "open_clip architectures": sorted(set(open_clip.list_models()) - set(ours)),
        }


class TinyKind(ModelKind):
    """`tiny`: aobench's random tiny open_clip model (offline smoke runs and tests)."""

    forms = {"tiny": "aobench's random tiny open_clip model (offline)"}

    def parse(self, spec: str, body: str) -> ModelSpec:
        """Only the bare word `tiny`."""
        if body:
            raise AobenchError(f"bad model spec {spec!r}: `tiny` takes no arguments")
        return ModelSpec(spec=spec, kind="tiny", arch="aobench-tiny", model_name="aobench-tiny", pretrained_name="random")

    def identify(self, ms: ModelSpec) -> Identity:
        """The tiny config and open_clip's version."""
        import open_clip

        from aobench.clipzoo import register_configs

        register_configs()
        cfg = open_clip.get_model_config("aobench-tiny")
        return Identity(hash_text(f"tiny|{json.dumps(cfg, sort_keys=True)}|{open_clip.__version__}"))

    def load_module(self, ms: ModelSpec, device: str):
        """The seeded random tiny model."""
        from aobench.clipzoo import create_open_clip

        model, preprocess, tokenizer = create_open_clip("tiny", device=device)
        return model, lambda m, amp: wrap_open_clip(ms.spec, m, preprocess, tokenizer, device, amp)


OPEN_CLIP = OpenClipKind()
TINY = TinyKind()
