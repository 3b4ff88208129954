"""`aobench push`: token scrubbing, flag checks and restaging, against the loopback Hub (`hub`, the tests' one Hub fake).

The full HTTP flow (creation, YAML validation, uploads, commits, refusals, failures) is in test_push_http.py.
"""

from __future__ import annotations

import hashlib

import pytest

from conftest import HUB_TOKEN, cli

pytestmark = pytest.mark.usefixtures("no_progress_bars")  # stderr holds aobench's lines only


def _lfs_blobs(hub, repo_id: str) -> set:
    """sha256 of every file the repo holds through LFS (each one blob the client had to send)."""
    return {hashlib.sha256(hub.files(repo_id)[p]).hexdigest() for (r, p) in hub.lfs_paths if r == repo_id and p in hub.files(repo_id)}


def test_push_failure_then_rerun_continues_and_token_never_leaks(hub, push_build, tmp_path, capsys):
    hub.refuse_put_after = 2  # the object store takes two blobs, then refuses the rest
    code, out, err = cli(capsys, "push", push_build, "--repo-id", "alice/shapes-small")
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "rerun the same command" in err
    assert "README.md" not in hub.files("alice/shapes-small")  # no commit, so no partial card
    assert hub.commits == [] and len(hub.uploads) == 2

    hub.refuse_put_after, hub.fail_commit = None, 500  # then the commit fails, the server quoting the Authorization header
    hub.echo_auth = True  # it saw (as a badly-behaved proxy might)
    code1, out1, err1 = cli(capsys, "push", push_build, "--repo-id", "alice/shapes-small")
    assert code1 == 2 and len(err1.strip().splitlines()) == 1 and "Bearer ***" in err1  # the header reached the message, scrubbed
    assert hub.commits == []

    code2, out2, err2 = cli(capsys, "push", push_build, "--repo-id", "alice/shapes-small")
    assert code2 == 0, err2
    assert len(hub.uploads) == len(set(hub.uploads)) == len(_lfs_blobs(hub, "alice/shapes-small"))  # the rerun sent only what was missing

    code3, out3, _ = cli(capsys, "push", push_build, "--repo-id", "alice/shapes-small")
    assert code3 == 0 and "already holds this build" in out3 and len(hub.commits) == 1

    for text in (out, err, out1, err1, out2, err2, out3):
        assert HUB_TOKEN not in text
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert HUB_TOKEN.encode() not in path.read_bytes(), path


@pytest.mark.parametrize("repo_id", ["noslash", "a/b/c", "-bad/name", "me/na me", "me/"])
def test_push_invalid_repo_id(hub, build_copy, capsys, repo_id):
    code, out, err = cli(capsys, "push", build_copy, "--repo-id", repo_id)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "OWNER/NAME" in err
    assert hub.requests == []


def test_push_refuses_unfinished_or_non_build(hub, build_copy, tmp_path, capsys):
    (build_copy / ".aobench" / "complete").unlink()
    code, _, err = cli(capsys, "push", build_copy, "--repo-id", "alice/s")
    assert code == 2 and "not finished" in err and "resumable" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = cli(capsys, "push", empty, "--repo-id", "alice/s")
    assert code == 2 and "not an aobench build" in err
    assert hub.requests == []


def test_push_without_token(hub, build_copy, monkeypatch, capsys):
    monkeypatch.delenv("HF_TOKEN")
    code, _, err = cli(capsys, "push", build_copy, "--repo-id", "alice/s")
    assert code == 2 and "hf auth login" in err and hub.requests == []


def test_push_restages_when_build_rows_change(hub, build_copy, capsys):
    assert cli(capsys, "push", build_copy, "--repo-id", "alice/s")[0] == 0
    # a `--review` rerun keeps the recipe fingerprint but rewrites the card (and rows)
    card = build_copy / "README.md"
    card.write_text(card.read_text().replace("## Limitations", "## Limitations\n\nReviewed by hand."))
    code, out, err = cli(capsys, "push", build_copy, "--repo-id", "alice/s")
    assert code == 0 and "pushed" in out, err
    assert b"Reviewed by hand." in hub.files("alice/s")["README.md"]


def test_push_unauthorised_is_one_line_without_token(hub, build_copy, capsys):
    hub.deny_writes = True  # the Hub refuses the token, quoting it back in its message
    hub.echo_auth = True
    code, out, err = cli(capsys, "push", build_copy, "--repo-id", "alice/s")
    assert code == 2 and "not authorised" in err and len(err.strip().splitlines()) == 1
    assert HUB_TOKEN not in out + err and hub.last_auth == f"Bearer {HUB_TOKEN}"  # it was sent, and quoted back
    assert hub.repos == {}  # nothing was created
