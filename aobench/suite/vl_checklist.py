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
from typing import Optional, Sequence

from aobench.errors import AobenchError
from aobench.suite import combine, files
from aobench.suite.loading import annotation_path, check_subsets, read_json
from aobench.suite.schema import IMAGE_TEXTS, TIE_WRONG, BenchmarkSpec, Example, ImageRef

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
    subset_files={s: (rel,) for s, (_, _, rel, _) in CORPUS.items()},
    sha256={  # of the files in om-ai-lab/VL-CheckList@6f8d6a3 (the 10 over 4 MB are absent here: not checked)
        "data/Attribute/vg/action.json": "a20b1ee682ab2fb62978cca3a95fc27aa6b35f9238ca7c8847f74671c40db7ba",
        "data/Attribute/vaw/action.json": "aa9b2e4348a83bfae9593eb3edd713b451d14ae041f1f553a05bc3ab22670358",
        "data/Attribute/vg/color.json": "93e5d316cfc964c7b4bce2182c9916533ec3aa6e006830859af7c0d2de9f76c7",
        "data/Attribute/vg/material.json": "b2c1e312cba0a8efdc5113dd451e21f7fd9d0e96a222a5406ffa8dd67b30d094",
        "data/Attribute/vaw/material.json": "e182bff14fa4f7e3cd212b46efa1d63ee25b7b91b05eece1cab3bb8ba65de2e9",
        "data/Attribute/vg/size.json": "0a2a929d9dce990cfd4b05299e2d2a7fe59b5c679a3e7f52419a5375ea42f24b",
        "data/Attribute/vaw/size.json": "847850ec3533a5425872ce349c5f6eda3377e71ba3fe124a6327fe0a8ee8a986",
        "data/Attribute/vg/state.json": "d13bc1292de364cd787fc651f4abc0ffaafe9fbf09ec8ce25af76bb349415a2e",
        "data/Attribute/vaw/state.json": "09ea607e33d7ca62014eec46ffd18a70c34d9f3bbe6a46d8cbb70fa93b2b7681",
        "data/Object/Location/swig_location/swig_destination/swig_destination_center.json": "b5b49b88aca88b15452791297f709c1d960acad393bd609b399eff7d095e65fe",
        "data/Object/Location/swig_location/swig_item/swig_item_center.json": "c3773948b258fc400e215a5d0b5f3f503cb0d2517b8a913559a1f6a9690489e2",
        "data/Object/Location/swig_location/swig_tool/swig_tool_center.json": "b5401f571d1ad9fe78aff41a3aa4096fbabca7d6cfdda1c8ec0537dd60235b30",
        "data/Object/Location/vg_location/vg_subj_center.json": "9d69a2d46d405a5ff62dbc000349f3614f76e1945c8b684f2b850c13a2d8cd1f",
        "data/Object/Location/hake_location/hake_obj_margin.json": "366036209fa04e6b19e446873a443cd53bf31a4fb1c67500e1a9239d38a670b6",
        "data/Object/Location/swig_location/swig_agent/swig_agent_margin.json": "44e5e84b2b918dd598a3120681d39f7e32b6bfa768b00c8f21bba13edefd0cd7",
        "data/Object/Location/swig_location/swig_destination/swig_destination_margin.json": "e4800a02f7b29a3518b2d0b42466fda895cf2f3b18051d6c0be2aca080f78023",
        "data/Object/Location/swig_location/swig_item/swig_item_margin.json": "375aaf489b71d15332faf362c49524c3073209e586768ad5091cbeaabdd853af",
        "data/Object/Location/swig_location/swig_tool/swig_tool_margin.json": "e53ea11ab37cd4dd09e02c43d6dc2226d13384d2511a1e543117183d01dec7e7",
        "data/Object/Location/vg_location/vg_obj_margin.json": "14c00f0b84f8709ee1b04b70e18bfff9b8c6ea650af6047e6523906634ca1e3c",
        "data/Object/Location/vg_location/vg_subj_margin.json": "8c188d5533eb1f1108ad9ea2a743177c3b24d46d5361f6c94af2cf4d7d299332",
        "data/Object/Location/swig_location/swig_agent/swig_agent_mid.json": "bb9e2b4eda57ec58fd4abb69150a65f4516b63b88d2e7b9aa6965aaf02d422a6",
        "data/Object/Location/swig_location/swig_destination/swig_destination_mid.json": "f683618a16ae3ba25540a5bd6d9b32bdfedd1f2cf87d930be7527b823ac18f90",
        "data/Object/Location/swig_location/swig_item/swig_item_mid.json": "1a2e16a2d0bb56e3b1f3954316d2843df27680500e488dba1836f5863b1d472b",
        "data/Object/Location/swig_location/swig_tool/swig_tool_mid.json": "899495a517c022e5ba1e6e6654f934d181d25d412203728d9bca02c1c4b0957d",
        "data/Object/Location/vg_location/vg_subj_mid.json": "f215e8cff68e688ed7bcd8ca8b6a9a12f7e1edf38aec6bb59846ed745bf8b6e4",
        "data/Object/Size/swig_size/swig_destination/swig_destination_large.json": "fa3c1e0a6c418868e326ddaa218caa888d46f4b6de9f6475ea5c19e40056e27c",
        "data/Object/Size/swig_size/swig_item/swig_item_large.json": "efb6c7bcce85d6540bd042368144670a6f72471f009b8a0a3fcb4d8763b4fb6e",
        "data/Object/Size/swig_size/swig_tool/swig_tool_large.json": "6e50360bcbd3aadade6073b0ca67e07e8d64a56426d059e732475af88444d146",
        "data/Object/Size/vg_size/vg_subj_large.json": "b491242d2e4405155d826b22b48d83bb42100fa16ac4b0b05d70a3a9f1d14311",
        "data/Object/Size/hake_size/hake_obj_medium.json": "ecbe2fdf963138364dd16afb1e0bad6b14c189a3229373e0905b35432d32730f",
        "data/Object/Size/swig_size/swig_agent/swig_agent_medium.json": "b4147d44dd4a16c5a580d8c1e5d2a9a8f7adb3a74838e88c2b169ef805fdec63",
        "data/Object/Size/swig_size/swig_destination/swig_destination_medium.json": "4b404a3a1c37f077bcd37aa9cc50a5f4943cdc258ae20cc76fed21ec2d077f2f",
        "data/Object/Size/swig_size/swig_item/swig_item_medium.json": "bc6898e3fdd0a0c75b33a734022f153fead0dacacb3160c3ec17f47f16397fe8",
        "data/Object/Size/swig_size/swig_tool/swig_tool_medium.json": "05ad7953ddb0ce563ece3f36f83a62ca22d90c256cc82a70c44c876260baa8e7",
        "data/Object/Size/vg_size/vg_obj_medium.json": "cc08adb0c267f8e4cce7a75c5ff91f585ced1510fb6893a4c6dc52cebe713d4d",
        "data/Object/Size/vg_size/vg_subj_medium.json": "111c66edc702fcf494dd34ef72191d9557b91c32afc079a9b2d97cf4bc512259",
        "data/Object/Size/hake_size/hake_obj_small.json": "1f06d35ebf3db0f5c886ea4ec502c376faed3d425f4211804c8dd89cc0de2221",
        "data/Object/Size/swig_size/swig_agent/swig_agent_small.json": "595f454c422eb64e41e07afc27dd966fc5a8d65865f9aa4bc67402a1ba2d3e33",
        "data/Object/Size/swig_size/swig_destination/swig_destination_small.json": "81d7f531e9516bb469e0c251fc078f7557c1ceb3a8fab6b01d479fa5c6ccda1c",
        "data/Object/Size/swig_size/swig_item/swig_item_small.json": "33d9d4b827385faf6bee8237330df5561348e266b29d031c00b28820a4c81a40",
        "data/Object/Size/swig_size/swig_tool/swig_tool_small.json": "55fa1b2ee3c9c33cf21ba7e84421c551bc19cab1768440f3600a70564802d77a",
        "data/Object/Size/vg_size/vg_obj_small.json": "a2aa7820542f7b3bf2117d570e7fd0a8deb3235d91d01488d49038a19a485fd7",
        "data/Object/Size/vg_size/vg_subj_small.json": "37e35926c4689592c44cd7f659c4deff011432b211c4736108e1fd0feabec464",
        "data/Relation/vg/action.json": "2722201353c885670315f935d53cb4e08f462e629c3f88c73da9a286ea66d7a1",
        "data/Relation/swig_action.json": "ed3a65cb815c1fb0947b337bbfc95bbcf517fa0124ce7cb9bd4d915de02eb4f4",
        "data/Relation/vg/spatial.json": "2582095a4b8515048ba2e33d37d2bffc109e6734924b47bf977236b7f9b72303",
    },
    access="clone om-ai-lab/VL-CheckList (its data/ folder, with Git LFS for the large files) and pass the checkout as --annotations",
    aggregate_rule="13 columns, each the mean over corpus.json sources of the per-file means; Object / Attribute / Relation: "
                   "the means of their columns; acc: the mean of those three (vl_compo results.csv)",
    tie_rule=TIE_WRONG,
    reference="om-ai-lab/VL-CheckList:vl_checklist/evaluate.py (itc) + data_loader.py@6f8d6a3",
)


def load_examples(annotations: Path, subsets: Optional[Sequence[str]] = None, skipped: Optional[list] = None) -> list[Example]:
    """Every row of the requested files (default: all 56), in file order; the 1000-row cap is `resolve_images`'."""
    out = []
    for subset in check_subsets(SPEC, subsets):
        _, _, rel, root = CORPUS[subset]
        path = annotation_path(annotations, rel)
        for i, rec in enumerate(read_json(path, list, "a JSON list of [image_path, {POS, NEG}]")):
            at = f"{path}: [{i}]"
            try:
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
            except AobenchError as exc:
                files.row_error(skipped, at, exc)
                continue
            out.append(Example(str(i), subset, IMAGE_TEXTS, (ImageRef(root, image),), pair, (0,), TIE_WRONG))
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
