"""`aobench push`: a finished build → a Hugging Face Hub dataset repo, in one commit (data, card and aobench.json).

One commit means a failed push leaves the repo as it was (never a partial card); huggingface_hub
uploads the large files before the commit and skips blobs the Hub already has, so a rerun continues
instead of starting over. The token is read by huggingface_hub itself (HF_TOKEN, `hf auth login`) and
is scrubbed from every message this module produces.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi

from aobench.artifacts import BuildDir
from aobench.dataset.staging import FINGERPRINT_FILE, MANAGED_DIRS, MAX_SHARD_BYTES, Staged, stage
from aobench.errors import AobenchError

REPO_TYPE = "dataset"
_REPO_ID = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?/[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$")


@dataclass
class PushResult:
    """What a push did (or, with --dry-run, would do)."""

    repo_id: str
    status: str  # "dry-run", "pushed", "up-to-date"
    staged: Staged
    deleted: list = field(default_factory=list)
    url: Optional[str] = None
    created_repo: bool = False


def check_repo_id(repo_id: str) -> str:
    """`OWNER/NAME` as the Hub accepts it, or an AobenchError."""
    if not _REPO_ID.match(repo_id or "") or ".." in repo_id or "--" in repo_id:
        raise AobenchError(f"--repo-id {repo_id!r}: not a Hub repo id — expected OWNER/NAME (letters, digits, '-', '_', '.'; e.g. me/shapes-ao)")
    return repo_id


def _scrub(text: str, token: Optional[str]) -> str:
    return text.replace(token, "***") if token else text


def _hub_error(exc: BaseException, repo_id: str, token: Optional[str], stage_name: str) -> AobenchError:
    from huggingface_hub.errors import HfHubHTTPError

    status = getattr(getattr(exc, "response", None), "status_code", None)
    detail = _scrub(f"{type(exc).__name__}: {' '.join(str(exc).split())}", token)
    if isinstance(exc, HfHubHTTPError) and status in (401, 403):
        return AobenchError(f"push to {repo_id}: not authorised while {stage_name} (HTTP {status}) — set HF_TOKEN or run `hf auth login` with a write token")
    return AobenchError(f"push to {repo_id} failed while {stage_name}: {detail} — nothing was committed; rerun the same command to continue")


def hub_endpoint() -> str:
    """HF_ENDPOINT as it is now (huggingface_hub reads it once, at its import), else huggingface_hub's default."""
    from huggingface_hub import constants

    return (os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")


def check_reachable(endpoint: str, timeout: float = 10.0) -> None:
    """Fail at once with one line when the Hub cannot be reached, instead of huggingface_hub's minutes of retries."""
    from huggingface_hub import constants
    from huggingface_hub.utils import get_session

    if constants.HF_HUB_OFFLINE:
        raise AobenchError("HF_HUB_OFFLINE is set: a push needs the network — unset it, or use --dry-run to stage the files only")
    try:
        get_session().head(endpoint, timeout=timeout)  # any HTTP answer will do: the endpoint is up
    except Exception as exc:  # noqa: BLE001 - transport errors come from httpx, httpx2 or requests by hub version
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise AobenchError(f"cannot reach {endpoint} ({detail}) — check the network or HF_ENDPOINT; nothing was pushed") from None


def _remote_state(api, repo_id: str, revision: Optional[str]) -> tuple[bool, list[str], Optional[dict]]:
    """(repo exists, files at revision, its aobench.json or None)."""
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

    try:
        files = api.list_repo_files(repo_id, repo_type=REPO_TYPE, revision=revision)
    except RepositoryNotFoundError:
        return False, [], None
    except RevisionNotFoundError:
        return True, [], None
    meta = None
    if FINGERPRINT_FILE in files:
        path = api.hf_hub_download(repo_id, FINGERPRINT_FILE, repo_type=REPO_TYPE, revision=revision)
        try:
            meta = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
    return True, files, meta


def _check_overwrite(repo_id: str, files: list[str], remote: Optional[dict], staged: Staged, force: bool) -> None:
    if force:
        return
    if remote is not None:
        theirs = remote.get("fingerprint")
        if theirs != staged.manifest["fingerprint"]:
            raise AobenchError(
                f"{repo_id} holds a different build (fingerprint {theirs}, this build {staged.manifest['fingerprint']}) — pass --force to overwrite it, or push to another --repo-id/--revision"
            )
        return
    other = [f for f in files if f != ".gitattributes"]
    if other:
        raise AobenchError(f"{repo_id} already has {len(other)} files not pushed by aobench (e.g. {other[0]}) — pass --force to overwrite them")


def push(
    build_dir: str | Path,
    repo_id: str,
    *,
    private: bool = False,
    dry_run: bool = False,
    force: bool = False,
    revision: Optional[str] = None,
    create_pr: bool = False,
    max_shard_bytes: int = MAX_SHARD_BYTES,
    api=None,
) -> PushResult:
    """Push a finished build to the Hub as a dataset repo (Parquet shards, card, configs) in one commit."""
    check_repo_id(repo_id)
    staged = stage(BuildDir(build_dir).require_complete(), repo_id, max_shard_bytes)
    if dry_run:
        return PushResult(repo_id=repo_id, status="dry-run", staged=staged)

    from huggingface_hub import get_token

    token = get_token()
    if not token:
        raise AobenchError("no Hugging Face token found — set HF_TOKEN or run `hf auth login` (or use --dry-run)")
    if api is None:
        endpoint = hub_endpoint()
        check_reachable(endpoint)
        api = HfApi(endpoint=endpoint)
    step = "reading the repo"
    try:
        exists, files, remote = _remote_state(api, repo_id, revision)
        _check_overwrite(repo_id, files, remote, staged, force)
        if remote is not None and remote.get("files") == staged.manifest["files"] and not create_pr:
            return PushResult(repo_id=repo_id, status="up-to-date", staged=staged)
        step = "creating the repo"
        if not exists:
            api.create_repo(repo_id, repo_type=REPO_TYPE, private=private, exist_ok=True)
        if revision and not create_pr:
            api.create_branch(repo_id, branch=revision, repo_type=REPO_TYPE, exist_ok=True)
            # a new branch starts as a copy of main: its old shards would match our data/<split>-* globs, so list it again
            files = api.list_repo_files(repo_id, repo_type=REPO_TYPE, revision=revision)
        ours = set(staged.files)
        stale = sorted(f for f in files if f not in ours and f.startswith(MANAGED_DIRS))
        ops = [CommitOperationDelete(path_in_repo=f) for f in stale]
        ops += [CommitOperationAdd(path_in_repo=p, path_or_fileobj=str(local)) for p, local in staged.files.items()]
        step = "uploading"
        info_ = api.create_commit(
            repo_id,
            ops,
            commit_message=f"aobench push: {staged.manifest['recipe']} ({staged.manifest['fingerprint']})",
            repo_type=REPO_TYPE,
            revision=revision,
            create_pr=create_pr,
        )
    except AobenchError:
        raise
    except Exception as exc:  # noqa: BLE001 - transport errors come from httpx, httpx2 or requests by hub version: one line each, token scrubbed
        raise _hub_error(exc, repo_id, token, step) from None
    url = getattr(info_, "pr_url", None) or getattr(info_, "commit_url", None)
    return PushResult(repo_id=repo_id, status="pushed", staged=staged, deleted=stale, url=url, created_repo=not exists)
