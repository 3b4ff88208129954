"""Hub revisions of model weights: a branch, tag or commit → the commit it points to, and files at that commit.

Results record the commit so a number can be reproduced; a pinned spec (`hf:ID@REV`,
`open_clip:hf-hub:ORG/NAME@REV`) loads exactly that commit. Everything here talks to the Hub only
through `huggingface_hub` (tests fake it there).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Optional

from aobench.errors import AobenchError, one_line

COMMIT = re.compile(r"[0-9a-f]{40}")
HUB_TIMEOUT_S = 10  # one metadata request; the load itself would wait as long on an unreachable Hub


def split_revision(ident: str) -> tuple[str, Optional[str]]:
    """'ORG/NAME@REV' → ('ORG/NAME', 'REV'); no '@' → (ident, None). Hub ids never contain '@'."""
    head, sep, rev = ident.rpartition("@")
    if not sep:
        return ident, None
    if not head or not rev:
        raise AobenchError(f"bad revision in {ident!r}: expected ID@REVISION (a branch, tag or commit hash)")
    return head, rev


def _commit_in_cache(repo_id: str, revision: Optional[str], probes: Iterable[str]) -> Optional[str]:
    """The commit of a revision whose files are in the local Hub cache (offline), from the snapshot folder name."""
    import huggingface_hub

    for probe in probes:
        hit = huggingface_hub.try_to_load_from_cache(repo_id, probe, revision=revision or "main")
        if isinstance(hit, str):
            parts = Path(hit).parts
            if "snapshots" in parts:
                commit = parts[parts.index("snapshots") + 1]
                if COMMIT.fullmatch(commit):
                    return commit
    return None


def resolve_commit(repo_id: str, revision: Optional[str] = None, probes: Iterable[str] = ("config.json",)) -> Optional[str]:
    """The commit a Hub revision (default: main) points to: asked from the Hub, else found in the local cache; None when unknown."""
    if revision and COMMIT.fullmatch(revision):
        return revision
    import huggingface_hub

    try:
        sha = huggingface_hub.model_info(repo_id, revision=revision, timeout=HUB_TIMEOUT_S).sha
        if sha:
            return sha
    except Exception:  # noqa: BLE001 - offline, unknown repo or revision: the cache may still know, and the load reports real errors
        pass
    return _commit_in_cache(repo_id, revision, list(probes))


def download_files(repo_id: str, revision: str, files: Iterable[tuple[str, ...]]) -> Path:
    """Download one file of each group of alternatives (the first that exists) at one revision; returns their snapshot folder."""
    import huggingface_hub

    folder = None
    for group in files:
        msg = "no such file"
        for name in group:
            try:
                folder = Path(huggingface_hub.hf_hub_download(repo_id, name, revision=revision)).parent
                break
            except Exception as exc:  # noqa: BLE001 - absent alternative, offline, unknown revision: try the next, report the last
                msg = one_line(exc)
        else:
            raise AobenchError(f"cannot download {' or '.join(group)} of {repo_id}@{revision}: {msg} (offline? check the revision)")
    if folder is None:
        raise AobenchError(f"cannot download {repo_id}@{revision}: no files named")
    return folder
