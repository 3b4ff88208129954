"""`aobench push` where HTTP adds nothing (token scrubbing, flag checks): the Hub faked at huggingface_hub's `HfApi` boundary.

The real client over HTTP (creation, YAML validation, uploads, commits, refusals, failures) is in test_push_http.py.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import httpx
import pytest
import yaml

from conftest import cli

FAKE_TOKEN = "hf_FAKEtokenDoNotLeak0123456789abcdef"


def _response(status: int, url: str) -> httpx.Response:
    return httpx.Response(status, request=httpx.Request("GET", url))


class FakeHub:
    """Repos as {repo_id: {branch: {path: bytes}}}, blobs by sha256; a commit lands whole or not at all."""

    def __init__(self, root: Path):
        self.root = root
        self.repos: dict = {}
        self.private: dict = {}
        self.blobs: set = set()
        self.uploads: list = []  # sha256 of every blob actually sent
        self.calls: list = []
        self.commits: list = []
        self.fail_after_uploads = None  # send this many new blobs, then drop the connection

    def files(self, repo_id: str, branch: str = "main") -> dict:
        return self.repos[repo_id][branch]

    def materialise(self, repo_id: str, branch: str = "main") -> Path:
        """The repo's files at a branch, written out as a local dir (what a clone would give)."""
        out = self.root / "clone" / repo_id.replace("/", "__") / branch
        shutil.rmtree(out, ignore_errors=True)
        for path, data in self.files(repo_id, branch).items():
            (out / path).parent.mkdir(parents=True, exist_ok=True)
            (out / path).write_bytes(data)
        return out


class FakeApi:
    """The HfApi methods aobench calls, against a FakeHub; the token is huggingface_hub's own lookup."""

    def __init__(self, hub: FakeHub, token=None, endpoint=None):
        from huggingface_hub import get_token

        self.hub, self.token = hub, token or get_token()

    def _repo(self, repo_id):
        from huggingface_hub.errors import RepositoryNotFoundError

        if repo_id not in self.hub.repos:
            raise RepositoryNotFoundError("404 Client Error: Repository Not Found", response=_response(404, f"https://hub/{repo_id}"))
        return self.hub.repos[repo_id]

    def list_repo_files(self, repo_id, *, revision=None, repo_type=None, token=None):
        from huggingface_hub.errors import RevisionNotFoundError

        self.hub.calls.append(("list_repo_files", repo_id, revision))
        repo = self._repo(repo_id)
        if (revision or "main") not in repo:
            raise RevisionNotFoundError("404 Client Error: Revision Not Found", response=_response(404, "https://hub/rev"))
        return sorted(repo[revision or "main"])

    def hf_hub_download(self, repo_id, filename, *, repo_type=None, revision=None, **kw):
        self.hub.calls.append(("hf_hub_download", repo_id, filename))
        data = self._repo(repo_id)[revision or "main"][filename]
        out = self.hub.root / "downloads" / hashlib.sha256(data).hexdigest()
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        return str(out)

    def create_repo(self, repo_id, *, repo_type=None, private=None, exist_ok=False, **kw):
        self.hub.calls.append(("create_repo", repo_id, private))
        assert repo_type == "dataset"
        self.hub.repos.setdefault(repo_id, {"main": {".gitattributes": b"*.parquet filter=lfs diff=lfs merge=lfs -text\n"}})
        self.hub.private[repo_id] = private

    def create_branch(self, repo_id, *, branch, repo_type=None, exist_ok=False, **kw):
        self.hub.calls.append(("create_branch", repo_id, branch))
        repo = self._repo(repo_id)
        repo.setdefault(branch, dict(repo["main"]))

    def create_commit(self, repo_id, operations, *, commit_message, repo_type=None, revision=None, create_pr=None, **kw):
        from huggingface_hub import CommitOperationAdd, CommitOperationDelete

        self.hub.calls.append(("create_commit", repo_id, revision, create_pr))
        assert self.token == FAKE_TOKEN
        repo = self._repo(repo_id)
        base = revision or "main"
        tree = dict(repo[base])
        for op in operations:
            if isinstance(op, CommitOperationAdd):
                data = Path(op.path_or_fileobj).read_bytes()
                sha = hashlib.sha256(data).hexdigest()
                if sha not in self.hub.blobs:  # like the Hub: a blob it already has is not sent again
                    if self.hub.fail_after_uploads is not None and len(self.hub.uploads) >= self.hub.fail_after_uploads:
                        self.hub.fail_after_uploads = None
                        # a transport error whose text carries the auth header, as a badly-behaved proxy might
                        raise httpx.ConnectError(f"Connection reset by peer (sent Authorization: Bearer {self.token})")
                    self.hub.blobs.add(sha)
                    self.hub.uploads.append(sha)
                tree[op.path_in_repo] = data
            elif isinstance(op, CommitOperationDelete):
                tree.pop(op.path_in_repo, None)
        branch = f"refs/pr/{len(self.hub.commits) + 1}" if create_pr else base
        repo[branch] = tree
        self.hub.commits.append((repo_id, branch, commit_message))

        class Info:
            commit_url = f"https://huggingface.co/datasets/{repo_id}/commit/{len(self.hub.commits)}"
            pr_url = f"https://huggingface.co/datasets/{repo_id}/discussions/{len(self.hub.commits)}" if create_pr else None

        return Info()


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """A fake Hub behind aobench.dataset.hub.HfApi, with a fake token in HF_TOKEN and an empty HF_HOME."""
    import aobench.dataset.hub as hubmod

    fake = FakeHub(tmp_path / "hub")
    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    monkeypatch.setattr(hubmod, "HfApi", lambda *a, **k: FakeApi(fake, *a, **k))
    monkeypatch.setattr(hubmod, "check_reachable", lambda *a, **k: None)  # the fake Hub is always reachable
    return fake


@pytest.fixture
def build_copy(tmp_path, shapes_build) -> Path:
    """A private copy of the session's small build, with a foils.jsonl added."""
    out = tmp_path / "build"
    shutil.copytree(shapes_build, out)
    foils = [{"id": "f0", "caption": "a red cube", "foil": "a cube red", "type": "swap", "bow_identical": True},
             {"id": "f1", "caption": "a blue ring", "foil": "a red ring", "type": "replace", "bow_identical": False}]  # fmt: skip
    (out / "foils.jsonl").write_text("".join(json.dumps(f) + "\n" for f in foils))
    from datasets import DatasetDict, load_from_disk

    # a `real` split as `aobench real` writes it (a DatasetDict with one split, `real`)
    DatasetDict({"real": load_from_disk(str(out / "hf"))["test_seen"].select(range(5))}).save_to_disk(str(out / "real" / "hf"))
    return out


def test_push_failure_then_rerun_continues_and_token_never_leaks(hub, build_copy, tmp_path, capsys):
    hub.fail_after_uploads = 2
    code, out, err = cli(capsys, "push", build_copy, "--repo-id", "alice/shapes-small")
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "rerun the same command" in err
    assert "README.md" not in hub.files("alice/shapes-small")  # no commit, so no partial card
    assert hub.commits == [] and len(hub.uploads) == 2

    code2, out2, err2 = cli(capsys, "push", build_copy, "--repo-id", "alice/shapes-small")
    assert code2 == 0, err2
    staged = json.loads(hub.files("alice/shapes-small")["aobench.json"])["files"]
    assert len(hub.uploads) == len(set(hub.uploads)) == len(staged) + 1  # the rerun sent only what was missing

    code3, out3, _ = cli(capsys, "push", build_copy, "--repo-id", "alice/shapes-small")
    assert code3 == 0 and "already holds this build" in out3 and len(hub.commits) == 1

    for text in (out, err, out2, err2, out3):
        assert FAKE_TOKEN not in text
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert FAKE_TOKEN.encode() not in path.read_bytes(), path


@pytest.mark.parametrize("repo_id", ["noslash", "a/b/c", "-bad/name", "me/na me", "me/"])
def test_push_invalid_repo_id(hub, build_copy, capsys, repo_id):
    code, out, err = cli(capsys, "push", build_copy, "--repo-id", repo_id)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "OWNER/NAME" in err
    assert hub.calls == []


def test_push_refuses_unfinished_or_non_build(hub, build_copy, tmp_path, capsys):
    (build_copy / ".aobench" / "complete").unlink()
    code, _, err = cli(capsys, "push", build_copy, "--repo-id", "alice/s")
    assert code == 2 and "not finished" in err and "resumable" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = cli(capsys, "push", empty, "--repo-id", "alice/s")
    assert code == 2 and "not an aobench build" in err
    assert hub.calls == []


def test_push_without_token(hub, build_copy, monkeypatch, capsys):
    monkeypatch.delenv("HF_TOKEN")
    code, _, err = cli(capsys, "push", build_copy, "--repo-id", "alice/s")
    assert code == 2 and "hf auth login" in err and hub.calls == []


def test_push_restages_when_build_rows_change(hub, build_copy, capsys):
    assert cli(capsys, "push", build_copy, "--repo-id", "alice/s")[0] == 0
    # a `--review` rerun keeps the recipe fingerprint but rewrites the card (and rows)
    card = build_copy / "README.md"
    card.write_text(card.read_text().replace("## Limitations", "## Limitations\n\nReviewed by hand."))
    code, out, err = cli(capsys, "push", build_copy, "--repo-id", "alice/s")
    assert code == 0 and "pushed" in out, err
    assert b"Reviewed by hand." in hub.files("alice/s")["README.md"]


def test_push_unauthorised_is_one_line_without_token(hub, build_copy, monkeypatch, capsys):
    from huggingface_hub.errors import HfHubHTTPError

    def denied(self, repo_id, **kw):
        raise HfHubHTTPError(f"401 Unauthorized: invalid token {self.token}", response=_response(401, "https://hub/api"))

    monkeypatch.setattr(FakeApi, "list_repo_files", denied)
    code, out, err = cli(capsys, "push", build_copy, "--repo-id", "alice/s")
    assert code == 2 and "not authorised" in err and len(err.strip().splitlines()) == 1
    assert FAKE_TOKEN not in out + err
