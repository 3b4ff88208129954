"""The gallery in a real browser (headless Chromium via Playwright): thumbnails, filters, screenshot, review round trip."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from aobench.io import read_jsonl
from aobench.report.gallery import PAGE_SIZE, make_report
from conftest import run_cli

CHROMIUM = os.environ.get("AOBENCH_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(not CHROMIUM, reason="chromium not installed (apt-get install -y chromium) — browser tests need it")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed (pip install -e '.[test]')")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    pg = ctx.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    ctx.close()


@pytest.fixture
def reported(shapes_build, tmp_path) -> Path:
    out = tmp_path / "b"
    shutil.copytree(shapes_build, out)
    return out


def visible_cards(pg) -> int:
    return pg.locator("#grid .card:visible").count()


def open_report(pg, build: Path):
    pg.goto((build / "report" / "index.html").as_uri())
    pg.wait_for_selector("#grid .card")


def test_gallery_thumbnails_filters_screenshot(page, reported, tmp_path):
    manifest = list(read_jsonl(reported / "manifest.jsonl"))
    gone = manifest[5]
    (reported / gone["file"]).unlink()
    make_report(reported)
    open_report(page, reported)
    n = len(manifest)
    assert visible_cards(page) == min(n, PAGE_SIZE)
    assert page.inner_text("#count").startswith(f"{n} of {n} images match")
    # the browser actually decoded the thumbnails (not broken links)
    widths = page.evaluate("Promise.all(Array.from(document.querySelectorAll('#grid img')).slice(0, 20).map(i => i.decode().then(() => i.naturalWidth)))")
    assert all(w > 0 for w in widths)
    # the missing image shows as missing, the page is not broken
    missing = page.locator(f'#grid .card[data-id="{gone["id"]}"] .missing')
    assert missing.inner_text() == "image missing"

    attr = manifest[0]["attribute"]
    page.select_option("#f-attribute", attr)
    want = [r for r in manifest if r["attribute"] == attr]
    assert visible_cards(page) == min(len(want), PAGE_SIZE)
    assert page.inner_text("#count").startswith(f"{len(want)} of {n}")
    split = "test_unusual"
    page.select_option("#f-split", split)
    want = [r for r in want if r["split"] == split]
    assert visible_cards(page) == len(want)
    ids = page.eval_on_selector_all("#grid .card", "els => els.map(e => e.dataset.id)")
    assert ids == [r["id"] for r in want]
    page.select_option("#f-status", "dropped")
    assert visible_cards(page) == sum(r["filters"] != "kept" for r in want)
    page.select_option("#f-status", "")
    page.select_option("#f-attribute", "")
    page.select_option("#f-split", "")
    page.select_option("#f-status", "missing")
    assert visible_cards(page) == 1
    page.select_option("#f-status", "")
    shot = tmp_path / "gallery.png"
    page.screenshot(path=str(shot), full_page=False)
    if os.environ.get("AOBENCH_SCREENSHOTS"):  # keep a copy to look at
        shutil.copy(shot, Path(os.environ["AOBENCH_SCREENSHOTS"]) / "gallery.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    assert page.errors == []


@pytest.mark.slow
def test_review_round_trip(page, reported, small_shapes_recipe, tmp_path):
    make_report(reported)
    open_report(page, reported)
    page.check("#review-mode")
    page.select_option("#f-split", "test_seen")
    page.select_option("#f-status", "kept")
    shown = page.eval_on_selector_all("#grid .card", "els => els.map(e => e.dataset.id)")
    # current card starts at the first; each decision moves on to the next
    for key in ("a", "r", "ArrowRight", "r", "a"):
        page.keyboard.press(key)
    assert page.inner_text("#review-count").startswith("4 reviewed (2 accepted, 2 rejected)")
    if os.environ.get("AOBENCH_SCREENSHOTS"):
        page.screenshot(path=str(Path(os.environ["AOBENCH_SCREENSHOTS"]) / "review.png"))
    with page.expect_download() as dl:
        page.click("#review-download")
    assert dl.value.suggested_filename == "review.jsonl"
    review = tmp_path / "review.jsonl"
    dl.value.save_as(review)
    rows = [json.loads(line) for line in review.read_text().splitlines()]
    assert sorted(rows, key=lambda r: r["id"]) == sorted([
        {"id": shown[0], "decision": "accept"}, {"id": shown[1], "decision": "reject"},
        {"id": shown[3], "decision": "reject"}, {"id": shown[4], "decision": "accept"},
    ], key=lambda r: r["id"])

    # decisions survive a reload (localStorage), so a long review can be resumed
    page.reload()
    page.wait_for_selector("#grid .card")
    assert page.inner_text("#review-count").startswith("4 reviewed")

    proc = run_cli("build", small_shapes_recipe, "--out", reported, "--review", review)
    assert proc.returncode == 0, proc.stderr
    after = {r["id"]: r["filters"] for r in read_jsonl(reported / "manifest.jsonl")}
    assert after[shown[1]] == after[shown[3]] == "rejected_by_review"
    assert after[shown[0]] == after[shown[4]] == after[shown[2]] == "kept"
    assert "Human review: 4 images reviewed, 2 rejected." in (reported / "README.md").read_text()
    assert page.errors == []
