"""Human review as a filter: decisions from the gallery's review.jsonl drop rejected images (`rejected_by_review`)."""

from __future__ import annotations

from pathlib import Path

from aobench.errors import AobenchError
from aobench.io import json_dumps, read_jsonl_strict

REASON = "rejected_by_review"
DECISIONS = ("accept", "reject")


def read_review(path: str | Path) -> dict[str, str]:
    """{id: "accept"|"reject"} from review.jsonl; the last line for an id wins; bad lines raise with file:line."""
    path = Path(path)
    if not path.is_file():
        raise AobenchError(f"--review {path}: no such file — download review.jsonl from the report gallery's review mode")
    out: dict[str, str] = {}
    for n, row in read_jsonl_strict(path, 'expected {"id": ..., "decision": "accept"|"reject"}'):
        if not isinstance(row, dict) or not isinstance(row.get("id"), str) or row.get("decision") not in DECISIONS:
            raise AobenchError(f"{path}:{n}: expected {{\"id\": \"<image id>\", \"decision\": \"accept\"|\"reject\"}}, got {json_dumps(row)[:80]}")
        out[row["id"]] = row["decision"]
    return out


def apply_review(records: list[dict], review_path: str | Path) -> dict[str, int]:
    """Mark kept records rejected in the review as `rejected_by_review`; return reviewed/rejected counts.

    `reviewed` counts decisions about images of this build; `rejected` counts images this call dropped
    (a rejected image another filter already dropped keeps that first reason).
    """
    decisions = read_review(review_path)
    by_id = {r["id"]: r for r in records}
    unknown = [i for i in decisions if i not in by_id]
    if unknown and len(unknown) == len(decisions):
        raise AobenchError(f"{review_path}: none of its {len(decisions)} ids are images of this build (e.g. {unknown[0]!r}) — was it made from another build's report?")
    reviewed = rejected = 0
    for i, d in decisions.items():
        rec = by_id.get(i)
        if rec is None:
            continue  # ids of another limit/shard of the same recipe: nothing to apply
        reviewed += 1
        if d == "reject" and rec.get("filters") == "kept":
            rec["filters"] = REASON
            rejected += 1
    return {"reviewed": reviewed, "rejected": rejected, "unknown": len(unknown)}
