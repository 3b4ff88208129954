"""VL-CheckList (Zhao et al. 2022): objects, attributes and relations — one image against a true and a false phrase.

Annotations: the repository itself (`om-ai-lab/VL-CheckList`, data/ and corpus/v1/); several of its data files
are over the size this machine's snapshots keep. Each corpus/v1/<Type>/.../<name>.yaml names an `ANNO_PATH`
(a JSON list of `[image_path, {"POS": [...], "NEG": [...]}]`) and an `IMG_ROOT` (vg, hake or swig); aobench
carries that table (below) and reads the JSON files from the repository checkout given as the annotations
dir. Subset names are the authors' own (corpus.json): "Attribute_color_vaw", "Object_Location_center_hake", ….

Images: the files under `IMG_ROOT` as DATASETS.md lays them out (vg/VG_100K…, hake/…, swig/…): sources
`vg`, `hake`, `swig`; `image_path` as the JSON spells it.

Protocol (vl_checklist/evaluate.py, TASK itc): correct iff s(I, POS[0]) > s(I, NEG[0]) (strict); the loader
(data_loader.py) drops rows whose image is missing and the evaluator keeps the first MAX_NUM/2 = 1000 of the
rest (configs/sample.yaml) — aobench keeps the first 1000 rows per file whose image exists, deterministic
(the official code's `random.sample` only picks the examples it draws; aobench draws none). The spectrum
study's 13 columns (Object_Location_center, …, Relation_spatial) average, per column, the source means of
corpus.json's grouping (vg / swig / hake / vaw), each the mean of that source's files (its values are
multiples of 1/12000 for Object_Location_center = (vg/2000, swig/4000, hake/1000)/3); the headline is the
mean of the Object, Attribute and Relation means (results.csv, checked). A file with no evaluated rows is
left out of its source's mean.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Optional

from aobench.errors import AobenchError
from aobench.suite import combine, files
from aobench.suite.schema import IMAGE_TEXTS, BenchmarkSpec, Example, ImageRef

MAX_PER_FILE = 1000  # configs/sample.yaml MAX_NUM 2000, halved for itc by evaluate.py


def _corpus() -> dict[str, tuple[str, str, str, str]]:
    """subset → (column, source group, ANNO_PATH, IMG_ROOT): corpus/v1's yaml files and corpus.json's grouping."""
    table = {}
    for attr in ("action", "color", "material", "size", "state"):
        for src in ("vg", "vaw"):
            table[f"Attribute_{attr}_{src}"] = (f"Attribute_{attr}", src, f"data/Attribute/{src}/{attr}.json", "vg")
    for kind, values in (("Location", ("center", "margin", "mid")), ("Size", ("large", "medium", "small"))):
        low = kind.lower()
        for v in values:
            col = f"Object_{kind}_{v}"
            table[f"{col}_hake"] = (col, "hake", f"data/Object/{kind}/hake_{low}/hake_obj_{v}.json", "hake")
            for role in ("agent", "destination", "item", "tool"):
                path = f"data/Object/{kind}/swig_{low}/swig_{role}/swig_{role}_{v}.json"
                table[f"{col}_swig_{role}"] = (col, "swig", path, "swig")
            for role in ("obj", "subj"):
                table[f"{col}_vg_{role}"] = (col, "vg", f"data/Object/{kind}/vg_{low}/vg_{role}_{v}.json", "vg")
    table["Relation_action_vg"] = ("Relation_action", "vg", "data/Relation/vg/action.json", "vg")
    table["Relation_action_swig"] = ("Relation_action", "swig", "data/Relation/swig_action.json", "swig")
    table["Relation_action_hake"] = ("Relation_action", "hake", "data/Relation/hake_action.json", "hake")
    table["Relation_spatial_vg"] = ("Relation_spatial", "vg", "data/Relation/vg/spatial.json", "vg")
    return table


CORPUS = _corpus()
SUBSETS = tuple(CORPUS)
COLUMNS = tuple(dict.fromkeys(c for c, *_ in CORPUS.values()))  # the spectrum study's 13 columns
IMAGE_SOURCES = {
    "vg": "Visual Genome VG_100K/ and VG_100K_2/ (https://visualgenome.org; VAW uses the same images)",
    "hake": "HAKE image folders (https://github.com/DirtyHarryLYL/HAKE/tree/master/Images, layout in VL-CheckList DATASETS.md)",
    "swig": "SWiG images_512 (https://swig-data-weights.s3.us-east-2.amazonaws.com/images_512.zip)",
}

SPEC = BenchmarkSpec(
    name="vl_checklist",
    description="objects (location, size), attributes and relations: one image against a true and a false phrase",
    schema=IMAGE_TEXTS,
    subsets=SUBSETS,
    # rows counted in the files of om-ai-lab/VL-CheckList@6f8d6a3; the 10 files over 4 MB (absent from this
    # machine's snapshot) are not counted. The protocol evaluates at most 1000 per file.
    counts={
        "Attribute_action_vg": 1892,
        "Attribute_action_vaw": 3039,
        "Attribute_color_vg": 11569,
        "Attribute_material_vg": 2470,
        "Attribute_material_vaw": 11835,
        "Attribute_size_vg": 2695,
        "Attribute_size_vaw": 15321,
        "Attribute_state_vg": 941,
        "Attribute_state_vaw": 4939,
        "Object_Location_center_swig_destination": 1063,
        "Object_Location_center_swig_item": 4163,
        "Object_Location_center_swig_tool": 4056,
        "Object_Location_center_vg_subj": 25383,
        "Object_Location_margin_hake": 10062,
        "Object_Location_margin_swig_agent": 260,
        "Object_Location_margin_swig_destination": 45,
        "Object_Location_margin_swig_item": 88,
        "Object_Location_margin_swig_tool": 121,
        "Object_Location_margin_vg_obj": 8291,
        "Object_Location_margin_vg_subj": 5974,
        "Object_Location_mid_swig_agent": 5074,
        "Object_Location_mid_swig_destination": 530,
        "Object_Location_mid_swig_item": 1715,
        "Object_Location_mid_swig_tool": 2226,
        "Object_Location_mid_vg_subj": 26294,
        "Object_Size_large_swig_destination": 1520,
        "Object_Size_large_swig_item": 5070,
        "Object_Size_large_swig_tool": 4643,
        "Object_Size_large_vg_subj": 26167,
        "Object_Size_medium_hake": 30910,
        "Object_Size_medium_swig_agent": 442,
        "Object_Size_medium_swig_destination": 109,
        "Object_Size_medium_swig_item": 742,
        "Object_Size_medium_swig_tool": 1452,
        "Object_Size_medium_vg_obj": 30725,
        "Object_Size_medium_vg_subj": 20930,
        "Object_Size_small_hake": 6210,
        "Object_Size_small_swig_agent": 48,
        "Object_Size_small_swig_destination": 9,
        "Object_Size_small_swig_item": 154,
        "Object_Size_small_swig_tool": 308,
        "Object_Size_small_vg_obj": 13702,
        "Object_Size_small_vg_subj": 10554,
        "Relation_action_vg": 12733,
        "Relation_action_swig": 25150,
        "Relation_spatial_vg": 30650,
    },
    image_sources=IMAGE_SOURCES,
    annotations="om-ai-lab/VL-CheckList:data/@6f8d6a3 (the repository checkout is the annotations dir)",
    annotation_files=tuple(p for _, _, p, _ in CORPUS.values()),
    licence="no licence file in om-ai-lab/VL-CheckList; images under Visual Genome (CC BY 4.0), HAKE and SWiG terms",
    protocol="s(I, POS[0]) > s(I, NEG[0]), strict; first 1000 rows per file whose image exists; column = mean over "
             "sources of per-file means (corpus.json); headline = mean of Object, Attribute, Relation means (vl_compo)",
    chance={"acc": 0.5},
)


def load_examples(annotations: Path, subsets: Optional[list[str]] = None) -> list[Example]:
    """Every row of the requested files (default: all 56), in file order; the 1000-row cap is `resolve_images`'."""
    wanted = list(subsets or SUBSETS)
    unknown = [s for s in wanted if s not in CORPUS]
    if unknown:
        raise AobenchError(f"vl_checklist: unknown subset(s) {', '.join(unknown)} (known: {', '.join(SUBSETS)})")
    out = []
    for subset in wanted:
        _, _, rel, root = CORPUS[subset]
        path = files.annotation_file(annotations, rel, SPEC.annotations)
        data = files.need(files.read_json(path), list, str(path))
        for i, rec in enumerate(data):
            at = f"{path}: [{i}]"
            if not isinstance(rec, list) or len(rec) != 2:
                raise AobenchError(f"{at}: expected [image_path, {{POS, NEG}}], got {files.short(rec)}")
            image = files.text(rec[0], f"{at}[0]")
            texts = files.need(rec[1], dict, f"{at}[1]")
            pos = files.need(texts.get("POS"), list, f"{at}[1].POS")
            neg = files.need(texts.get("NEG"), list, f"{at}[1].NEG")
            if not pos or not neg:
                raise AobenchError(f"{at}[1]: POS and NEG need at least one phrase each")
            # the authors' itc task compares the first positive with the first negative
            pair = (files.text(pos[0], f"{at}[1].POS[0]"), files.text(neg[0], f"{at}[1].NEG[0]"))
            out.append(Example(str(i), subset, IMAGE_TEXTS, (ImageRef(root, image),), pair, (0,)))
    return out


def resolve_images(examples: list[Example], roots, cap: int = MAX_PER_FILE) -> list[Example]:
    """Per file, the rows up to the `cap`-th whose image exists (rows before it without an image stay, to be reported)."""
    kept, present = [], defaultdict(int)
    for ex in examples:
        if present[ex.subset] >= cap:
            continue
        if roots.resolve(ex.images[0]) is not None:
            present[ex.subset] += 1
        kept.append(ex)
    return kept


def _column(per_subset: dict, column: str) -> Optional[dict]:
    by_source = defaultdict(list)
    for subset, (col, source, _, _) in CORPUS.items():
        if col == column and int(per_subset.get(subset, {}).get("n", 0)) > 0:
            by_source[source].append(subset)
    if not by_source:
        return None
    return combine.mean_of_means(combine.mean_of(per_subset, names) for names in by_source.values())


def aggregate(per_subset: dict[str, dict]) -> dict:
    """The 13 columns, the Object / Attribute / Relation means and acc = their mean (vl_compo)."""
    cols = {c: _column(per_subset, c) for c in COLUMNS}
    out = {}
    for c, v in cols.items():
        out.update(combine.flatten(c, v))
    families = {f: combine.mean_of_means(v for c, v in cols.items() if c.startswith(f + "_")) for f in ("Object", "Attribute", "Relation")}
    for f, v in families.items():
        out.update(combine.flatten(f, v))
    out.update(combine.flatten("", combine.mean_of_means(families.values())))
    return out
