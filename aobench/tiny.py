"""Tiny, randomly initialised models built from configs: the real code paths, offline, in seconds.

`--tiny` builds and the test suite use these in place of downloaded weights: a tiny Stable Diffusion
(XL) pipeline with the components diffusers' own tests use, and open_clip models from aobench's
configs. The CLIP tokenizer is written from the BPE vocabulary bundled inside open_clip.
"""

from __future__ import annotations

import gzip
import json
import os
from functools import lru_cache
from pathlib import Path

from aobench.io import atomic_write_text


def _cache_dir() -> Path:
    root = Path(os.environ.get("AOBENCH_CACHE", Path.home() / ".cache" / "aobench"))
    return root / "tiny-clip-tokenizer"


@lru_cache(maxsize=1)
def tokenizer_dir() -> Path:
    """A folder with `vocab.json` and `merges.txt` of the CLIP BPE, written once from open_clip's file."""
    from open_clip.tokenizer import bytes_to_unicode, default_bpe

    out = _cache_dir()
    if (out / "vocab.json").exists() and (out / "merges.txt").exists():
        return out
    merges = gzip.open(default_bpe()).read().decode("utf-8").split("\n")[1 : 49152 - 256 - 2 + 1]
    vocab = list(bytes_to_unicode().values())
    vocab = vocab + [v + "</w>" for v in vocab]
    vocab += ["".join(m.split()) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    atomic_write_text(out / "vocab.json", json.dumps({tok: i for i, tok in enumerate(vocab)}))
    atomic_write_text(out / "merges.txt", "#version: 0.2\n" + "\n".join(merges) + "\n")
    return out


def clip_tokenizer():
    """A transformers CLIPTokenizer (model_max_length 77) from open_clip's bundled vocabulary."""
    from transformers import CLIPTokenizer

    d = tokenizer_dir()
    return CLIPTokenizer(str(d / "vocab.json"), str(d / "merges.txt"), model_max_length=77)


def _text_config(projection_dim: int = 32):
    from transformers import CLIPTextConfig

    return CLIPTextConfig(
        bos_token_id=49406, eos_token_id=49407, pad_token_id=49407, hidden_size=32, intermediate_size=37,
        layer_norm_eps=1e-05, num_attention_heads=4, num_hidden_layers=2, vocab_size=49408,
        hidden_act="gelu", projection_dim=projection_dim,
    )  # fmt: skip


def tiny_pipeline(family: str = "sdxl", seed: int = 0):
    """A tiny random text-to-image pipeline of the family (sdxl or sd), 64x64 output, as diffusers tests build."""
    import torch
    from diffusers import (
        AutoencoderKL,
        EulerDiscreteScheduler,
        StableDiffusionPipeline,
        StableDiffusionXLPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    sdxl = family == "sdxl"
    torch.manual_seed(seed)
    unet_kwargs = dict(
        block_out_channels=(4, 8), layers_per_block=1, sample_size=32, in_channels=4, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        norm_num_groups=2,
    )  # fmt: skip
    if sdxl:
        unet_kwargs.update(
            attention_head_dim=(2, 4), use_linear_projection=True, addition_embed_type="text_time",
            addition_time_embed_dim=8, transformer_layers_per_block=(1, 1),
            projection_class_embeddings_input_dim=80, cross_attention_dim=64,
        )  # fmt: skip
    else:
        unet_kwargs.update(cross_attention_dim=32, attention_head_dim=2)
    unet = UNet2DConditionModel(**unet_kwargs)
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", timestep_spacing="trailing"
    )
    torch.manual_seed(seed)
    vae = AutoencoderKL(
        block_out_channels=[8, 16], in_channels=3, out_channels=3, norm_num_groups=2,
        down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
        up_block_types=["UpDecoderBlock2D", "UpDecoderBlock2D"], latent_channels=4, sample_size=64,
    )  # fmt: skip
    torch.manual_seed(seed)
    text_encoder = CLIPTextModel(_text_config())
    tok = clip_tokenizer()
    common = dict(unet=unet, scheduler=scheduler, vae=vae, text_encoder=text_encoder, tokenizer=tok)
    if sdxl:
        torch.manual_seed(seed)
        text_encoder_2 = CLIPTextModelWithProjection(_text_config())
        pipe = StableDiffusionXLPipeline(
            **common, text_encoder_2=text_encoder_2, tokenizer_2=tok, image_encoder=None, feature_extractor=None
        )
    else:
        pipe = StableDiffusionPipeline(
            **common, safety_checker=None, feature_extractor=None, image_encoder=None, requires_safety_checker=False
        )
    return pipe


TINY_CLIP_ARCH = "aobench-tiny"
