"""`hf:ID_OR_PATH[@REVISION]` model specs: transformers CLIPModel / SiglipModel from a saved folder or the Hub."""

from __future__ import annotations

from pathlib import Path

from aobench.errors import AobenchError, one_line
from aobench.evaluate.cache import dir_identity, hash_text
from aobench.evaluate.kinds.base import EmbeddingModel, Identity, ModelKind, ModelSpec
from aobench.evaluate.revisions import resolve_commit, split_revision
from aobench.paths import looks_like_path



def _features(out):
    # transformers 5 returns a model output whose pooler_output is the projected embedding; 4.x a tensor
    import torch

    if isinstance(out, torch.Tensor):
        return out
    for attr in ("image_embeds", "text_embeds", "pooler_output"):
        v = getattr(out, attr, None)
        if v is not None:
            return v
    return out[0]


def wrap_hf(name: str, model, processor, siglip: bool, device: str, amp: bool) -> EmbeddingModel:
    """A transformers dual encoder and its processor behind the EmbeddingModel interface."""

    def preprocess(im):
        return processor(images=[im.convert("RGB")], return_tensors="pt")["pixel_values"][0]

    def enc_i(pixels):
        return _features(model.get_image_features(pixel_values=pixels))

    def enc_t(texts):
        # SigLIP was trained on max_length-padded text; CLIP uses its EOS token, so padding is free
        padding = "max_length" if siglip else True
        tok = processor(text=texts, padding=padding, truncation=True, return_tensors="pt")
        kw = {k: v.to(device) for k, v in tok.items() if k in ("input_ids", "attention_mask")}
        if siglip:
            kw.pop("attention_mask", None)
        return _features(model.get_text_features(**kw))

    return EmbeddingModel(name, preprocess, enc_i, enc_t, device=device, amp=amp, module=model)

def _is_local(ident: str) -> bool:
    return Path(ident).expanduser().exists()


class HfKind(ModelKind):
    """hf:ID_OR_PATH[@REVISION]."""

    forms = {
        "hf:ID_OR_PATH": "transformers CLIPModel / SiglipModel (Hub id or save_pretrained folder)",
        "hf:ID@REVISION": "a Hub model pinned to a branch, tag or commit (the commit is recorded)",
    }

    def parse(self, spec: str, body: str) -> ModelSpec:
        """A folder (taken whole, '@' and all) or a Hub id with an optional @REVISION."""
        if not body:
            raise AobenchError(f"bad model spec {spec!r}: expected hf:MODEL_ID_OR_PATH")
        ident, rev = (body, None) if _is_local(body) else split_revision(body)
        # a pinned model's `pretrained` keeps its revision, so pinned and unpinned results never share a file
        return ModelSpec(spec=spec, kind="hf", arch=ident, revision=rev, model_name="hf", pretrained_name=body)

    def identify(self, ms: ModelSpec) -> Identity:
        """A folder by its files; a Hub id by its id (and its commit when pinned)."""
        p = Path(ms.arch).expanduser()
        if p.exists():
            return Identity(hash_text(f"hf|{dir_identity(p)}"))
        if looks_like_path(ms.arch):
            raise AobenchError(f"folder {ms.arch} not found")
        commit = resolve_commit(ms.arch, ms.revision)
        if ms.revision is None:
            return Identity(hash_text(f"hf|{ms.arch}"), commit)
        if commit is None:
            raise AobenchError(f"cannot resolve revision {ms.revision!r} of {ms.arch} (offline and not in the Hub cache, or no such revision)")
        return Identity(hash_text(f"hf|{ms.arch}@{commit}"), commit)

    def load_module(self, ms: ModelSpec, device: str):
        """(module, wrap) of the model at its pinned commit (or the latest, unpinned)."""
        from transformers import AutoConfig, AutoModel, AutoProcessor, CLIPModel, SiglipModel

        revision = None
        if ms.revision is not None:
            revision = resolve_commit(ms.arch, ms.revision)
            if revision is None:
                raise AobenchError(f"cannot resolve revision {ms.revision!r} of {ms.arch} (offline and not in the Hub cache, or no such revision)")
        kw = {"revision": revision} if revision else {}
        try:
            cfg = AutoConfig.from_pretrained(ms.arch, **kw)
            cls = {"clip": CLIPModel, "siglip": SiglipModel}.get(cfg.model_type, AutoModel)
            model = cls.from_pretrained(ms.arch, **kw)
            processor = AutoProcessor.from_pretrained(ms.arch, **kw)
        except Exception as exc:  # noqa: BLE001 - missing folder, offline Hub, bad config: one user-facing line
            raise AobenchError(f"{one_line(exc)} (offline? a Hub id needs the network once)") from None
        if not (hasattr(model, "get_image_features") and hasattr(model, "get_text_features")):
            raise AobenchError(f"{type(model).__name__} is not a CLIP-style dual encoder (need get_image_features/get_text_features)")
        siglip = cfg.model_type == "siglip"
        return model.to(device).eval(), lambda m, amp: wrap_hf(ms.spec, m, processor, siglip, device, amp)


HF = HfKind()
