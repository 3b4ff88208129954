"""SVO-Probes (Hendricks & Nematzadeh 2021): does a sentence prefer its image over one differing in subject, verb or object?

Annotations: `svo_probes.csv` as DeepMind publishes it (`deepmind/svo_probes`, CC BY 4.0; the file is over the
size this machine's snapshots keep, so the loader is written from the columns the README and the authors'
notebook name): `sentence, pos_triplet, neg_triplet, pos_image_id, neg_image_id, pos_url, neg_url, subj_neg,
verb_neg, obj_neg`, one row per (sentence, positive image, negative image).

Images are web URLs (Google Image Search results; many are dead, svo_probes#1) that nobody may redistribute,
so each user downloads them: aobench looks for `<image_id>.jpg` in the `svo_probes` image folder (any format
PIL reads; the name is a convention, the id comes from `pos_image_id` / `neg_image_id`).

Protocol: one text against two images, correct iff s(sentence, pos) > s(sentence, neg) (strict), as
Bugliarello et al. 2023 (`e-bug/fine-grained-evals`, models/CLIP/SVO.py + notebooks/SVO.ipynb) and the
spectrum study (vl_compo) score it. A row's subset is its negation type with Bugliarello's precedence
(subj_neg, else verb_neg, else obj_neg). The headline is the plain mean of the three subset accuracies
(vl_compo results.csv; checked against its individual_results.csv). The authors' own notebook differs: it
scores each (sentence, image) pair as a binary match against a threshold, keeps rows with exactly one
negation type, and averages positive and negative accuracy — a binary threshold CLIP cosine does not have.
`acc_micro` (Bugliarello's "overall") is the pooled accuracy over all rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

from aobench.errors import AobenchError
from aobench.suite import combine, files
from aobench.suite.loading import annotation_path, check_subsets
from aobench.suite.schema import TEXT_IMAGES, TIE_WRONG, BenchmarkSpec, Example, ImageRef

SUBSETS = ("subj_neg", "verb_neg", "obj_neg")
FILE = "svo_probes.csv"
COLUMNS = ("sentence", "pos_triplet", "neg_triplet", "pos_image_id", "neg_image_id", "subj_neg", "verb_neg", "obj_neg")
SOURCE = "svo_probes"

SPEC = BenchmarkSpec(
    name="svo_probes",
    description="verb understanding: a sentence against its image and one differing in subject, verb or object",
    schema=TEXT_IMAGES,
    subsets=SUBSETS,
    counts={},  # svo_probes.csv (>4 MB) is absent from this machine's snapshot: not counted
    image_sources={SOURCE: "download pos_url/neg_url of svo_probes.csv (image_urls.txt lists them) and save each as "
                           "<image_id>.jpg; many URLs are dead and the authors cannot share the images (svo_probes#1)"},
    annotations="deepmind/svo_probes:svo_probes.csv@206219e (also https://storage.googleapis.com/dm-mmt-models/svo_probes.csv)",
    annotation_files=(FILE,),
    licence="CC BY 4.0 (annotations); the images are third-party web images under their owners' terms",
    protocol="pairwise s(sentence, pos image) > s(sentence, neg image), strict; subset by negation type "
             "(subj, else verb, else obj: Bugliarello et al. 2023); headline = plain mean of the 3 (vl_compo)",
    chance={"acc": 0.5},
    subset_files={s: (FILE,) for s in SUBSETS},
    access="download svo_probes.csv from deepmind/svo_probes (or https://storage.googleapis.com/dm-mmt-models/svo_probes.csv)",
    aggregate_rule="acc: the plain mean of subj_neg, verb_neg and obj_neg accuracy (vl_compo results.csv); acc_micro: pooled over all rows",
    tie_rule=TIE_WRONG,
    reference="e-bug/fine-grained-evals:models/CLIP/SVO.py + notebooks/SVO.ipynb@6cc5fc1",
)


def _negation(subj: bool, verb: bool, obj: bool) -> str:
    # Bugliarello's notebook: `if subj_neg: subj elif verb_neg: verb else: obj` (a row with no flag counts as obj)
    return "subj_neg" if subj else "verb_neg" if verb else "obj_neg"


def load_examples(annotations: Path, subsets: Optional[Sequence[str]] = None, skipped: Optional[list] = None) -> list[Example]:
    """The rows of svo_probes.csv as sentence-vs-(positive, negative image) examples, in file order."""
    wanted = set(check_subsets(SPEC, subsets))
    path = annotation_path(annotations, FILE)
    out = []
    for row_index, (line, row) in enumerate(files.csv_rows(path, COLUMNS)):
        at = f"{path}:{line}"
        try:
            flags = [files.flag(row[c], f"{at}: {c}") for c in ("subj_neg", "verb_neg", "obj_neg")]
            pos = files.integer(row["pos_image_id"], f"{at}: pos_image_id")
            neg = files.integer(row["neg_image_id"], f"{at}: neg_image_id")
            sentence = files.text(row["sentence"], f"{at}: sentence")
        except AobenchError as exc:
            files.row_error(skipped, at, exc)
            continue
        subset = _negation(*flags)
        if subset not in wanted:
            continue
        out.append(Example(
            id=str(row_index),  # the row's index, as pandas numbers it in the authors' notebook
            subset=subset,
            schema=TEXT_IMAGES,
            images=(ImageRef(SOURCE, f"{pos}.jpg"), ImageRef(SOURCE, f"{neg}.jpg")),
            texts=(sentence,),
            positives=(0,),
            tie_rule=TIE_WRONG,
            meta={"pos_triplet": row["pos_triplet"], "neg_triplet": row["neg_triplet"],
                  "subj_neg": flags[0], "verb_neg": flags[1], "obj_neg": flags[2]},
        ))  # fmt: skip
    return out


def aggregate(per_subset: dict[str, dict]) -> dict:
    """acc = plain mean of subj/verb/obj accuracy (vl_compo); acc_micro = pooled over all rows (Bugliarello's overall)."""
    out = combine.flatten("", combine.mean_of(per_subset, SUBSETS))
    micro = combine.pooled(per_subset, SUBSETS)
    if micro:
        out.update({"acc_micro": micro["acc"], "acc_micro_stderr": micro["acc_stderr"]})
    return out
