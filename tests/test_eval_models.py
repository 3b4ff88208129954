"""Model specs: parsing, WiSE endpoints, the hf: path with a tiny saved CLIPModel, one-line load errors."""

from __future__ import annotations

import pytest
import torch

from aobench.errors import AobenchError
from aobench.evaluate.models import expand_wise, list_models, load_model, parse_alphas, parse_spec, resolve

TEXTS = ["a red circle", "a striped star", "a small square"]


def test_parse_specs():
    s = parse_spec("open_clip:ViT-B-32:laion2b_s34b_b79k")
    assert (s.kind, s.arch, s.pretrained, s.model_name, s.pretrained_name) == ("open_clip", "ViT-B-32", "laion2b_s34b_b79k", "ViT-B-32", "laion2b_s34b_b79k")
    s = parse_spec("open_clip:aobench-tiny:/x/y/ckpt.pt")
    assert (s.arch, s.pretrained) == ("aobench-tiny", "/x/y/ckpt.pt")
    s = parse_spec("open_clip:hf-hub:timm/ViT-B-16-SigLIP")
    assert (s.arch, s.pretrained, s.pretrained_name) == ("hf-hub:timm/ViT-B-16-SigLIP", None, "hub-latest")  # Hub weights, never "random"
    assert parse_spec("open_clip:hf-hub:timm/ViT-B-16-SigLIP@v2").pretrained_name == "v2"
    assert parse_spec("open_clip:aobench-tiny").pretrained_name == "random"
    assert parse_spec("hf:openai/clip-vit-base-patch32").arch == "openai/clip-vit-base-patch32"
    assert parse_spec("tiny").kind == "tiny"
    w = parse_spec("wise:open_clip:aobench-tiny:/a.pt,open_clip:aobench-tiny:/b.pt@0.25")
    assert w.kind == "wise" and w.alpha == 0.25 and [p.pretrained for p in w.parts] == ["/a.pt", "/b.pt"]
    assert w.pretrained_name == "wise(/a.pt,/b.pt)@0.25"
    for bad in ("clip:foo", "wise:tiny@0.5", "wise:tiny,tiny@2", "hf:", "open_clip:"):
        with pytest.raises(AobenchError):
            parse_spec(bad)


def test_wise_sweep_expansion():
    assert parse_alphas("0,0.5,1") == [0.0, 0.5, 1.0]
    with pytest.raises(AobenchError):
        parse_alphas("0,2")
    out = expand_wise(["tiny", "wise:tiny,tiny"], [0.0, 0.5])
    assert [m.spec for m in out] == ["tiny", "wise:tiny,tiny@0", "wise:tiny,tiny@0.5"]
    assert [m.alpha for m in out[1:]] == [0.0, 0.5] and out[2].pretrained_name == "wise(random,random)@0.5"
    with pytest.raises(AobenchError, match="--wise-alphas"):
        expand_wise(["wise:tiny,tiny"], None)


def test_bad_specs_fail_in_one_line(tmp_path):
    for spec, words in [("open_clip:not-an-arch:x", "unknown open_clip architecture"),
                        ("open_clip:aobench-tiny:/no/such/ckpt.pt", "checkpoint not found"),
                        ("open_clip:aobench-tiny:not_a_tag", "unknown pretrained tag"),
                        (f"hf:{tmp_path}/missing/model", "not found")]:  # fmt: skip
        with pytest.raises(AobenchError, match=words) as e:
            resolve(spec)
        assert "\n" not in str(e.value) and spec in str(e.value)


def test_list_models_names_forms_and_pretrained():
    lm = list_models()
    assert any("wise:" in x for x in lm["spec forms"])
    assert "open_clip:ViT-B-32:openai" in lm["open_clip pretrained"]
    assert any("aobench-vit-s-64" in x for x in lm["aobench configs (random weights or your checkpoint)"])


@pytest.fixture(scope="module")
def two_checkpoints(tmp_path_factory):
    """Two aobench-tiny open_clip checkpoints with different random seeds."""
    import open_clip

    from aobench.clipzoo import register_configs

    register_configs()
    d = tmp_path_factory.mktemp("ckpts")
    paths = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        m = open_clip.create_model("aobench-tiny")
        p = d / f"seed{seed}.pt"
        torch.save({"state_dict": m.state_dict()}, p)
        paths.append(p)
    return paths


def test_wise_endpoints_equal_the_checkpoints(two_checkpoints):
    a, b = (f"open_clip:aobench-tiny:{p}" for p in two_checkpoints)
    ea, eb = (load_model(parse_spec(s)).encode_texts(TEXTS) for s in (a, b))
    assert not torch.allclose(ea, eb)
    w0 = load_model(parse_spec(f"wise:{a},{b}@0")).encode_texts(TEXTS)
    w1 = load_model(parse_spec(f"wise:{a},{b}@1")).encode_texts(TEXTS)
    wh = load_model(parse_spec(f"wise:{a},{b}@0.5")).encode_texts(TEXTS)
    torch.testing.assert_close(w0, ea)
    torch.testing.assert_close(w1, eb)
    assert not torch.allclose(wh, ea) and not torch.allclose(wh, eb)
    # identities differ per alpha, so the cache never mixes them
    assert len({resolve(f"wise:{a},{b}@{x}").key for x in (0, 0.5, 1)}) == 3


def test_wise_refuses_different_architectures(two_checkpoints, tmp_path):
    import open_clip

    torch.manual_seed(0)
    other = open_clip.create_model("aobench-vit-s-64")
    p = tmp_path / "vits.pt"
    torch.save(other.state_dict(), p)
    with pytest.raises(AobenchError, match="different architectures"):
        load_model(parse_spec(f"wise:open_clip:aobench-tiny:{two_checkpoints[0]},open_clip:aobench-vit-s-64:{p}@0.5"))


def test_hf_clip_path(tiny_hf_clip):
    from PIL import Image

    h = resolve(f"hf:{tiny_hf_clip}")
    m = h.load()
    t = m.encode_texts(TEXTS)
    i = m.encode_images([Image.new("RGB", (64, 48), c) for c in ("red", "blue")])
    assert t.shape == (3, 16) and i.shape == (2, 16)
    torch.testing.assert_close(t.norm(dim=-1), torch.ones(3))
    assert h.spec.model_name == "hf" and h.spec.pretrained_name == str(tiny_hf_clip)
    # the same texts through transformers directly give the same embeddings
    from transformers import CLIPModel, CLIPProcessor

    ref_model, ref_proc = CLIPModel.from_pretrained(tiny_hf_clip), CLIPProcessor.from_pretrained(tiny_hf_clip)
    with torch.no_grad():
        out = ref_model.get_text_features(**ref_proc(text=TEXTS, padding=True, return_tensors="pt"))
    ref = out if isinstance(out, torch.Tensor) else out.pooler_output
    torch.testing.assert_close(t, torch.nn.functional.normalize(ref, dim=-1), atol=1e-5, rtol=1e-4)


def test_hf_siglip_path(tmp_path):
    """A tiny SiglipModel loads through hf: (max_length padding, no attention mask) and gives unit-norm embeddings."""
    from PIL import Image
    from transformers import CLIPImageProcessor, CLIPProcessor, SiglipConfig, SiglipModel

    from aobench.tiny import clip_tokenizer

    torch.manual_seed(0)
    cfg = SiglipConfig(
        text_config=dict(hidden_size=32, intermediate_size=37, num_attention_heads=4, num_hidden_layers=2, vocab_size=49408, max_position_embeddings=77),
        vision_config=dict(hidden_size=32, intermediate_size=37, num_attention_heads=4, num_hidden_layers=2, image_size=32, patch_size=8),
    )  # fmt: skip
    d = tmp_path / "tiny-siglip"
    SiglipModel(cfg).save_pretrained(d)
    # a CLIP tokenizer stands in for SigLIP's sentencepiece one (not bundled offline); the model path is SigLIP's
    CLIPProcessor(image_processor=CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}), tokenizer=clip_tokenizer()).save_pretrained(d)
    m = resolve(f"hf:{d}").load()
    t, i = m.encode_texts(TEXTS), m.encode_images([Image.new("RGB", (40, 40), "red")])
    assert t.shape == (3, 32) and i.shape == (1, 32)
    torch.testing.assert_close(t.norm(dim=-1), torch.ones(3))
    assert type(m.module).__name__ == "SiglipModel"
