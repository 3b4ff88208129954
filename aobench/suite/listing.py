"""What `aobench benchmarks` shows: each registered benchmark's metadata and what this machine has of it."""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

from aobench.errors import AobenchError
from aobench.suite.data import available_subsets, check_images, find_annotations, how_to_get, parse_images
from aobench.suite.schema import Example


def _image_refs(bench, folder: Path, subsets: list, roots) -> list:
    fn = getattr(bench.module, "image_refs", None)
    if fn is not None:
        return list(fn(folder, subsets))
    examples = bench.module.load_examples(folder, subsets)
    resolve = getattr(bench.module, "resolve_images", None)
    if resolve is not None:  # as `aobench eval` counts them (ImageCoDe's frames are named by the folder listing)
        examples = resolve(examples, roots)
    return [r for ex in examples for r in ex.images]


def describe_benchmarks(annotations: Optional[Path] = None, images: Optional[Sequence[str]] = None) -> list[dict]:
    """One dict per benchmark: name, description, counts, total, image sources, licence, annotations, protocol, what is here."""
    from aobench.evaluate.sources import benchmarks

    roots = parse_images(images)
    out = []
    for b in benchmarks():
        spec = b.spec
        have = available_subsets(spec, annotations)
        if not have:
            ann, imgs = f"no — {how_to_get(spec)}", "unknown (no annotations to list them)"
        else:
            found = find_annotations(spec, annotations, have)
            part = "" if have == list(spec.subsets) else f" (subsets {', '.join(have)})"
            bad = [f for f, ok in found.verified.items() if ok is False]
            ann = f"yes, {found.folder}{part}" + (f"; {len(bad)} file(s) differ from the published sha256" if bad else "")
            try:
                refs = _image_refs(b, found.folder, have, roots)
                check = check_images([Example("", "", spec.schema, tuple(refs), ())], roots)
                imgs = "; ".join(f"{s}: {check.total[s] - len(check.missing.get(s, [])):,} of {check.total[s]:,}" for s in sorted(check.total))
            except AobenchError as exc:
                imgs = f"unknown ({exc})"
        out.append({
            "name": spec.name, "description": spec.description, "counts": {s: spec.counts.get(s) for s in spec.subsets}, "total": sum(spec.counts.get(s) or 0 for s in spec.subsets),
            "image_sources": dict(spec.image_sources), "licence": spec.licence, "annotations": spec.annotations, "protocol": spec.protocol,
            "have_annotations": ann, "have_images": imgs,
        })  # fmt: skip
    return out
