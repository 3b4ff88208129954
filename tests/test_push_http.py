"""`aobench push` through the real huggingface_hub client, over HTTP, against a Hub on loopback (`HF_ENDPOINT`).

The server speaks the endpoints the client calls: repo creation, the tree listing, file resolve, YAML validation,
preupload, the LFS batch API with basic PUT uploads and verify, branches, and the commit (applied whole or not at
all). Uploads go through LFS: Xet needs Hugging Face's CAS service, so the client is told HF_HUB_DISABLE_XET.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import shutil
import threading
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import yaml

from conftest import cli, free_port, run_cli
from test_push import build_copy  # noqa: F401 - the fixture: the session's small build, a foils file and a real split

TOKEN = "hf_HTTPtokenDoNotLeak0123456789abcdef"
LICENSES = {"cc0-1.0", "cc-by-4.0", "cc-by-sa-4.0", "mit", "apache-2.0", "other"}


def git_oid(data: bytes) -> str:
    """The git blob id the Hub reports for a regular file."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class Hub:
    """A Hub on 127.0.0.1: repos as {repo_id: {branch: {path: bytes}}}, LFS blobs by sha256, and fault switches."""

    def __init__(self):
        self.repos: dict = {}
        self.private: dict = {}
        self.lfs_paths: set = set()  # (repo_id, path) stored through LFS
        self.blobs: dict = {}  # sha256 -> bytes
        self.uploads: list = []  # sha256 of every blob PUT
        self.commits: list = []  # (repo_id, branch, summary, operation keys)
        self.requests: list = []  # (method, path) in order
        self.validated: list = []  # READMEs sent to /api/validate-yaml
        self.fail_commit = None  # an HTTP status the next commit gets instead of landing
        self.refuse_put_after = None  # PUTs beyond this many stored blobs are refused (403)
        self.put_lock = threading.Lock()
        hub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_HEAD(self):
                hub._dispatch(self, "HEAD")

            def do_GET(self):
                hub._dispatch(self, "GET")

            def do_POST(self):
                hub._dispatch(self, "POST")

            def do_PUT(self):
                hub._dispatch(self, "PUT")

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def files(self, repo_id: str, branch: str = "main") -> dict:
        return self.repos[repo_id][branch]

    def materialise(self, repo_id: str, root: Path, branch: str = "main") -> Path:
        """The repo's files at a branch as a local dir (what a clone would give)."""
        out = root / repo_id.replace("/", "__") / branch
        shutil.rmtree(out, ignore_errors=True)
        for path, data in self.files(repo_id, branch).items():
            (out / path).parent.mkdir(parents=True, exist_ok=True)
            (out / path).write_bytes(data)
        return out

    # -- HTTP ------------------------------------------------------------------------------------
    def _dispatch(self, h, method: str) -> None:
        url = urlsplit(h.path)
        parts = [unquote(p) for p in url.path.strip("/").split("/")]
        self.requests.append((method, url.path))
        body = self._body(h) if method in ("POST", "PUT") else b""
        try:
            status, payload, headers = self._route(h, method, parts, parse_qs(url.query), body)
        except KeyError as exc:
            status, payload, headers = 400, {"error": f"bad request: {exc}"}, {}
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        h.send_response(status)
        for k, v in {"Content-Type": "application/json", **headers}.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        if method != "HEAD":
            h.wfile.write(data)

    @staticmethod
    def _body(h) -> bytes:
        if h.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(h.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    h.rfile.readline()
                    return out
                out += h.rfile.read(size)
                h.rfile.readline()
        return h.rfile.read(int(h.headers.get("Content-Length") or 0))

    def _authorised(self, h) -> bool:
        return h.headers.get("Authorization") == f"Bearer {TOKEN}"

    def _route(self, h, method, parts, query, body):
        if method == "HEAD" and parts == [""]:
            return 200, b"", {}
        if parts[:2] == ["api", "validate-yaml"]:
            return self._validate_yaml(json.loads(body))
        if parts[:1] == ["lfs-upload"]:
            return self._put(parts[1], body)
        if parts[:1] == ["lfs-verify"]:
            oid = json.loads(body)["oid"]
            return (200, {}, {}) if oid in self.blobs else (404, {"error": "not uploaded"}, {})
        write = method in ("POST", "PUT")
        if write and not self._authorised(h):
            return 401, {"error": "Invalid credentials"}, {"X-Error-Message": "Invalid credentials"}
        if parts[:3] == ["api", "repos", "create"]:
            return self._create(json.loads(body))
        if parts[:2] == ["api", "datasets"] and len(parts) >= 5:
            repo_id, action, rest = f"{parts[2]}/{parts[3]}", parts[4], parts[5:]
            if repo_id not in self.repos:
                return 404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"}
            if action == "tree":
                return self._tree(repo_id, rest[0])
            if action == "preupload":
                return self._preupload(repo_id, rest[0], json.loads(body))
            if action == "commit":
                return self._commit(repo_id, rest[0], body, "create_pr" in query)
            if action == "branch":
                return self._branch(repo_id, "/".join(rest), json.loads(body or b"{}"))
            if action == "revision":
                return 200, {"id": repo_id, "sha": self._sha(repo_id, rest[0])}, {}
        if parts[:1] == ["datasets"] and len(parts) >= 3 and parts[2].endswith(".git"):
            if not self._authorised(h):
                return 401, {"error": "Invalid credentials"}, {}
            return self._batch(json.loads(body))
        if parts[:1] == ["datasets"] and len(parts) >= 6 and parts[3] == "resolve":
            return self._resolve(f"{parts[1]}/{parts[2]}", parts[4], "/".join(parts[5:]))
        return 404, {"error": f"no route {method} /{'/'.join(parts)}"}, {}

    def _sha(self, repo_id: str, branch: str) -> str:
        tree = self.repos[repo_id][branch]
        return hashlib.sha1(json.dumps(sorted((p, hashlib.sha256(d).hexdigest()) for p, d in tree.items())).encode()).hexdigest()

    def _create(self, req):
        repo_id = f"{req['organization']}/{req['name']}"
        assert req["type"] == "dataset"
        if repo_id in self.repos:
            return 409, {"error": "You already created this dataset repo", "url": f"{self.url}/datasets/{repo_id}"}, {}
        self.repos[repo_id] = {"main": {".gitattributes": b"*.parquet filter=lfs diff=lfs merge=lfs -text\n"}}
        self.private[repo_id] = req.get("visibility", "private" if req.get("private") else "public") == "private"
        return 200, {"url": f"{self.url}/datasets/{repo_id}", "name": repo_id}, {}

    def _branch(self, repo_id, branch, req):
        if branch in self.repos[repo_id]:
            return 409, {"error": "Reference already exists"}, {}
        self.repos[repo_id][branch] = dict(self.repos[repo_id][req.get("startingPoint") or "main"])
        return 200, {}, {}

    def _entry(self, repo_id, path, data):
        entry = {"type": "file", "path": path, "size": len(data), "oid": git_oid(data)}
        if (repo_id, path) in self.lfs_paths:
            entry["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
        return entry

    def _tree(self, repo_id, branch):
        if branch not in self.repos[repo_id]:
            return 404, {"error": "Revision not found"}, {"X-Error-Code": "RevisionNotFound"}
        return 200, [self._entry(repo_id, p, d) for p, d in sorted(self.repos[repo_id][branch].items())], {}

    def _resolve(self, repo_id, branch, path):
        tree = self.repos.get(repo_id, {}).get(branch)
        if tree is None or path not in tree:
            return 404, {"error": "Entry not found"}, {"X-Error-Code": "EntryNotFound"}
        data = tree[path]
        return 200, data, {"Content-Type": "application/octet-stream", "X-Repo-Commit": self._sha(repo_id, branch), "ETag": f'"{git_oid(data)}"'}

    def _validate_yaml(self, req):
        text = req["content"]
        self.validated.append(text)
        errors = []
        if not text.startswith("---\n"):
            errors.append("the card has no YAML front matter")
        else:
            meta = yaml.safe_load(text.split("---\n")[1]) or {}
            if meta.get("license") not in LICENSES:
                errors.append(f'"license" must be one of the Hub\'s licence ids, got {meta.get("license")!r}')
            for c in meta.get("configs", []):
                if "config_name" not in c or "data_files" not in c:
                    errors.append(f"config {c} needs config_name and data_files")
        return (400 if errors else 200), {"errors": [{"message": e} for e in errors], "warnings": []}, {}

    def _preupload(self, repo_id, branch, req):
        tree = self.repos[repo_id].get(branch, {})
        out = []
        for f in req["files"]:
            lfs = f["path"].endswith(".parquet") or b"\0" in base64.b64decode(f["sample"])
            old = tree.get(f["path"])
            oid = None if old is None else (hashlib.sha256(old).hexdigest() if (repo_id, f["path"]) in self.lfs_paths else git_oid(old))
            out.append({"path": f["path"], "uploadMode": "lfs" if lfs else "regular", "shouldIgnore": False, "oid": oid})
        return 200, {"files": out, "commitOid": self._sha(repo_id, branch) if branch in self.repos[repo_id] else None}, {}

    def _batch(self, req):
        objects = []
        for o in req["objects"]:
            if o["oid"] in self.blobs:
                objects.append({"oid": o["oid"], "size": o["size"]})  # the Hub has it: no upload action
            else:
                objects.append({"oid": o["oid"], "size": o["size"], "authenticated": True,
                                "actions": {"upload": {"href": f"{self.url}/lfs-upload/{o['oid']}"}, "verify": {"href": f"{self.url}/lfs-verify"}}})  # fmt: skip
        return 200, {"transfer": "basic", "objects": objects}, {"Content-Type": "application/vnd.git-lfs+json"}

    def _put(self, oid, data):
        if hashlib.sha256(data).hexdigest() != oid:
            return 400, {"error": "sha256 mismatch"}, {}
        with self.put_lock:  # the client uploads in parallel threads: count and store as one step
            if self.refuse_put_after is not None and len(self.uploads) >= self.refuse_put_after:
                return 403, b"<Error><Code>AccessDenied</Code></Error>", {"Content-Type": "application/xml"}
            self.blobs[oid] = data
            self.uploads.append(oid)
        return 200, b"", {}

    def _commit(self, repo_id, branch, body, create_pr):
        lines = [json.loads(line) for line in body.splitlines() if line.strip()]
        if self.fail_commit is not None:
            status, self.fail_commit = self.fail_commit, None
            return status, {"error": "Internal Error - We're working hard to fix this as soon as possible!"}, {}
        base = self.repos[repo_id].setdefault(branch, {}) if not create_pr else self.repos[repo_id][branch]
        tree, lfs = dict(base), set()
        for op in lines[1:]:
            v = op["value"]
            if op["key"] == "file":
                tree[v["path"]] = base64.b64decode(v["content"])
            elif op["key"] == "lfsFile":
                if v["oid"] not in self.blobs:
                    return 422, {"error": f"LFS object {v['oid']} was never uploaded"}, {}
                tree[v["path"]] = self.blobs[v["oid"]]
                lfs.add(v["path"])
            elif op["key"] == "deletedFile":
                tree.pop(v["path"])
            else:
                return 400, {"error": f"unknown operation {op['key']}"}, {}
        target = f"refs/pr/{len(self.commits) + 1}" if create_pr else branch
        self.repos[repo_id][target] = tree  # the whole commit lands, or (above) none of it
        self.lfs_paths |= {(repo_id, p) for p in lfs}
        self.commits.append((repo_id, target, lines[0]["value"]["summary"], [op["key"] for op in lines[1:]]))
        sha = self._sha(repo_id, target)
        n = len(self.commits)
        return 200, {"commitUrl": f"{self.url}/datasets/{repo_id}/commit/{sha}", "commitOid": sha,
                     **({"pullRequestUrl": f"{self.url}/datasets/{repo_id}/discussions/{n}"} if create_pr else {})}, {}  # fmt: skip


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """A loopback Hub, HF_ENDPOINT pointing at it (set after huggingface_hub was imported: aobench reads it per push)."""
    from huggingface_hub import constants

    server = Hub()
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    # conftest makes every other test offline; this one talks HTTP to loopback only
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf_home" / "hub"))
    yield server
    server.close()


def _rows(ds) -> list[dict]:
    from datasets import Image

    return [dict(r, image=r["image"]["bytes"]) for r in ds.cast_column("image", Image(decode=False)).to_list()]


def _error(err: str) -> str:
    """The one error line (the real client also draws its upload bars on stderr); no traceback."""
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in err, err[-3000:]
    return lines[0]


def _lfs_files(hub: Hub, repo_id: str) -> set:
    return {p for (r, p) in hub.lfs_paths if r == repo_id and p in hub.files(repo_id)}


def test_push_over_http_creates_validates_uploads_and_commits_once(hub, build_copy, tmp_path, capsys):
    from datasets import load_dataset, load_from_disk
    from huggingface_hub import DatasetCard

    code, out, err = cli(capsys, "push", build_copy, "--repo-id", "alice/shapes-small", "--private")
    assert code == 0, err
    assert "alice/shapes-small: pushed 8 files" in out
    assert hub.private == {"alice/shapes-small": True}
    files = hub.files("alice/shapes-small")
    shards = ["data/test_seen-00000-of-00001.parquet", "data/test_unusual-00000-of-00001.parquet", "data/train-00000-of-00001.parquet",
              "foils/train-00000-of-00001.parquet", "pairs/train-00000-of-00001.parquet", "real/real-00000-of-00001.parquet"]  # fmt: skip
    assert sorted(files) == [".gitattributes", "README.md", "aobench.json", *shards]
    # the card went through the Hub's YAML validation before anything was uploaded, and is what landed
    assert hub.validated == [files["README.md"].decode()]
    first_upload = next(i for i, (m, p) in enumerate(hub.requests) if m == "PUT")
    assert hub.requests.index(("POST", "/api/validate-yaml")) < first_upload
    assert ("POST", "/api/datasets/alice/shapes-small/preupload/main") in hub.requests
    # Parquet shards went through LFS (one PUT each), the card and aobench.json inline, all in one commit
    assert _lfs_files(hub, "alice/shapes-small") == set(shards)
    assert sorted(hub.uploads) == sorted(hashlib.sha256(files[p]).hexdigest() for p in shards)
    assert len(hub.commits) == 1 and sorted(hub.commits[0][3]) == ["file", "file"] + ["lfsFile"] * len(shards)

    repo = hub.materialise("alice/shapes-small", tmp_path / "clone")
    meta = DatasetCard.load(repo / "README.md").data.to_dict()
    card = files["README.md"].decode()
    assert meta["license"] == "cc0-1.0" and meta["task_categories"] == ["zero-shot-image-classification"] and meta["size_categories"] == ["n<1K"]
    assert [c["config_name"] for c in meta["configs"]] == ["default", "pairs", "foils", "real"]
    assert meta["configs"][0]["data_files"] == [{"split": s, "path": f"data/{s}-*"} for s in ("train", "test_seen", "test_unusual")]
    assert {s["name"]: s["num_examples"] for s in meta["dataset_info"]["splits"]} == {"train": 240, "test_seen": 120, "test_unusual": 72}
    assert 'load_dataset("alice/shapes-small")' in card and "aobench eval alice/shapes-small --model " in card and "<owner>" not in card
    assert json.loads(files["aobench.json"])["fingerprint"] == yaml.safe_load((build_copy / "recipe.lock.yaml").read_text())["fingerprint"]

    # what landed loads with datasets (configs from the card's YAML) and gives the build's rows, images included
    built, pushed = load_from_disk(str(build_copy / "hf")), load_dataset(str(repo))
    assert list(pushed) == ["train", "test_seen", "test_unusual"]
    for split in built:
        assert _rows(pushed[split]) == _rows(built[split])
    # the Hub copy keeps the ClassLabel columns (ids + names), in the parquet files and the card's dataset_info
    by_files = load_dataset("parquet", data_files={"test_unusual": str(repo / "data" / "test_unusual-*.parquet")})
    for col in ("attribute", "object", "pair"):
        assert pushed["test_unusual"].features[col] == by_files["test_unusual"].features[col] == built["test_unusual"].features[col]
    names = [f["name"] for f in meta["dataset_info"]["features"]]
    assert "class_label" in meta["dataset_info"]["features"][names.index("pair")]["dtype"]
    assert len(load_dataset(str(repo), "pairs")["train"]) == sum(1 for _ in open(build_copy / "pairs.jsonl"))
    assert load_dataset(str(repo), "foils")["train"]["foil"] == ["a cube red", "a red ring"]
    assert load_dataset(str(repo), "real")["real"]["id"] == built["test_seen"]["id"][:5]

    # the same build again: a listing and an aobench.json download, nothing sent
    hub.requests.clear()
    code, out, _ = cli(capsys, "push", build_copy, "--repo-id", "alice/shapes-small")
    assert code == 0 and "already holds this build" in out
    assert not [r for r in hub.requests if r[0] in ("POST", "PUT")] and len(hub.commits) == 1


def test_dry_run_sends_nothing(hub, build_copy, capsys):
    code, out, err = cli(capsys, "push", build_copy, "--repo-id", "alice/shapes-small", "--dry-run")
    assert code == 0, err
    assert hub.requests == [] and hub.repos == {}
    assert "data/train-00000-of-00001.parquet" in out and "README.md" in out and "aobench.json" in out
    assert "config_name: default" in out and 'load_dataset("alice/shapes-small")' in out  # the card is shown
    assert "nothing uploaded" in out


def test_server_error_mid_commit_leaves_repo_untouched_and_rerun_sends_only_what_is_missing(hub, build_copy, capsys):
    hub.refuse_put_after = 1  # the object store takes one shard, then refuses the rest
    code, out, err = cli(capsys, "push", build_copy, "--repo-id", "alice/s")
    assert code == 2 and "nothing was committed" in _error(err) and "rerun the same command" in _error(err)
    assert hub.files("alice/s") == {".gitattributes": hub.files("alice/s")[".gitattributes"]} and hub.commits == []
    sent_first = list(hub.uploads)
    assert len(sent_first) == 1

    hub.refuse_put_after = None
    hub.fail_commit = 500  # every shard uploads, then the commit itself fails on the server
    code, out, err = cli(capsys, "push", build_copy, "--repo-id", "alice/s")
    assert code == 2 and "nothing was committed" in _error(err)
    assert "README.md" not in hub.files("alice/s") and hub.commits == []  # no half commit: no card, no shard
    assert len(hub.uploads) == 6 and hub.uploads[0] == sent_first[0]  # the blob already there was not sent again

    code, out, err = cli(capsys, "push", build_copy, "--repo-id", "alice/s")
    assert code == 0, err
    assert len(hub.uploads) == 6 == len(set(hub.uploads))  # the rerun sent no blob: all were on the Hub already
    assert len(hub.commits) == 1 and "README.md" in hub.files("alice/s")
    for text in (out, err):
        assert TOKEN not in text


def test_refuses_a_different_build_without_force_over_http(hub, build_copy, tmp_path, capsys):
    assert cli(capsys, "push", build_copy, "--repo-id", "alice/s")[0] == 0
    other = tmp_path / "other"
    shutil.copytree(build_copy, other)
    lock = yaml.safe_load((other / "recipe.lock.yaml").read_text())
    lock["fingerprint"] = "0123456789abcdef"  # stands in for a build of another recipe
    (other / "recipe.lock.yaml").write_text(yaml.safe_dump(lock))
    (other / ".aobench" / "complete").write_text("0123456789abcdef\n")
    (other / "foils.jsonl").unlink()
    shutil.rmtree(other / "real")

    hub.requests.clear()
    code, _, err = cli(capsys, "push", other, "--repo-id", "alice/s")
    assert code == 2 and "different build" in _error(err) and "--force" in err
    assert not [r for r in hub.requests if r[0] in ("POST", "PUT")] and len(hub.commits) == 1  # refused before any write

    code, _, err = cli(capsys, "push", other, "--repo-id", "alice/s", "--force")
    assert code == 0, err
    files = hub.files("alice/s")
    assert json.loads(files["aobench.json"])["fingerprint"] == "0123456789abcdef"
    assert not any(p.startswith(("foils/", "real/")) for p in files)  # the old build's files, deleted in the same commit
    assert hub.commits[-1][3].count("deletedFile") == 2

    # a repo holding files aobench did not push: refused, then --force leaves those files alone
    hub.repos["bob/notes"] = {"main": {".gitattributes": b"", "notes.txt": b"mine"}}
    code, _, err = cli(capsys, "push", build_copy, "--repo-id", "bob/notes")
    assert code == 2 and "not pushed by aobench" in _error(err)
    assert cli(capsys, "push", build_copy, "--repo-id", "bob/notes", "--force")[0] == 0
    assert hub.files("bob/notes")["notes.txt"] == b"mine"


def test_invalid_card_metadata_is_refused_by_the_hub_before_any_upload(hub, build_copy, capsys):
    card = build_copy / "README.md"
    card.write_text(card.read_text().replace("license: cc0-1.0", "license: free-for-all", 1))
    code, _, err = cli(capsys, "push", build_copy, "--repo-id", "alice/s")
    assert code == 2 and "Invalid metadata in README.md" in _error(err) and "free-for-all" in _error(err)
    assert hub.uploads == [] and hub.commits == []


def test_branch_and_pull_request_over_http(hub, build_copy, capsys):
    assert cli(capsys, "push", build_copy, "--repo-id", "alice/s", "--revision", "v1")[0] == 0
    assert "README.md" in hub.files("alice/s", "v1") and "README.md" not in hub.files("alice/s")
    code, out, _ = cli(capsys, "push", build_copy, "--repo-id", "alice/s", "--create-pr")
    assert code == 0 and "/discussions/" in out
    assert hub.commits[-1][1].startswith("refs/pr/") and "README.md" not in hub.files("alice/s")


def test_wrong_token_is_one_line(hub, build_copy, monkeypatch, capsys):
    monkeypatch.setenv("HF_TOKEN", "hf_someoneElsesToken0000000000000000")
    code, out, err = cli(capsys, "push", build_copy, "--repo-id", "alice/s")
    assert code == 2 and "not authorised" in _error(err)
    assert "hf_someoneElsesToken" not in out + err and hub.repos == {}


def test_unreachable_endpoint_is_one_line(build_copy, tmp_path, monkeypatch, capsys):
    from huggingface_hub import constants

    port = free_port()  # nothing listens there
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    code, out, err = cli(capsys, "push", build_copy, "--repo-id", "alice/s")
    assert code == 2 and f"127.0.0.1:{port}" in _error(err)
    assert "Traceback" not in out + err and TOKEN not in out + err


def test_offline_is_one_line(hub, build_copy, monkeypatch, capsys):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    code, out, err = cli(capsys, "push", build_copy, "--repo-id", "alice/s")
    assert code == 2 and "HF_HUB_OFFLINE" in _error(err) and "--dry-run" in err
    assert hub.requests == []


@pytest.mark.slow
def test_push_as_a_user_runs_it(hub, build_copy, monkeypatch):
    """A fresh interpreter that reads HF_ENDPOINT, HF_HUB_DISABLE_XET and the token from its environment only."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    r = run_cli("push", build_copy, "--repo-id", "bob/shapes")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "bob/shapes: pushed" in r.stdout and len(hub.commits) == 1
    assert hub.validated and _lfs_files(hub, "bob/shapes")
