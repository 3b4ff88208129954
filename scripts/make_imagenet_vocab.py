"""Regenerate aobench/vocab/imagenet_classes.json from the class names open_clip and torchvision ship.

Display name: open_clip's cleaned CLIP class name; synonyms: torchvision's WordNet-derived name when it
differs, and simple spelling variants. Groups come from imagenet_groups.yaml (index ranges).
"""

import json
from pathlib import Path

import yaml
from open_clip.zero_shot_metadata import IMAGENET_CLASSNAMES
from torchvision.models._meta import _IMAGENET_CATEGORIES

HERE = Path(__file__).resolve().parents[1] / "aobench" / "vocab"


def main() -> None:
    ranges = yaml.safe_load((HERE / "imagenet_groups.yaml").read_text())["ranges"]
    objects = []
    for i, (name, tv) in enumerate(zip(IMAGENET_CLASSNAMES, _IMAGENET_CATEGORIES)):
        syns = []
        for cand in (tv, tv.replace("-", " "), name.replace("-", " ")):
            cand = cand.strip()
            if cand.lower() != name.lower() and cand.lower() not in [s.lower() for s in syns]:
                syns.append(cand)
        grp = next(r for r in ranges if r["first"] <= i <= r["last"])
        objects.append({"index": i, "name": name, "synonyms": syns, "group": grp["group"], "subgroup": grp["subgroup"]})
    doc = {"name": "imagenet", "source": "open_clip IMAGENET_CLASSNAMES + torchvision _IMAGENET_CATEGORIES", "objects": objects}
    (HERE / "imagenet_classes.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {len(objects)} classes")


if __name__ == "__main__":
    main()
