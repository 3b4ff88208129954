"""`aobench report DIR`: figures + a static HTML gallery (`DIR/report/index.html`) that works from file://.

The page embeds its data as JSON (no fetch, which file:// forbids), references figures and
thumbnails by relative paths, and carries a review mode whose decisions download as review.jsonl.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Optional

from aobench.artifacts import BuildDir
from aobench.errors import AobenchError
from aobench.evaluate import plots as eval_plots
from aobench.evaluate.results import ModelSummary, Result, load_results, summarize
from aobench.io import atomic_write_bytes, atomic_write_text
from aobench.locks import holding
from aobench.progress import make_progress
from aobench.report import plots
from aobench.nmidir import NMI_JSON, PAIRS_CSV, Corpus, NmiDir, load_corpus
from aobench.spectrum.run import draw_spectrum

THUMB_MAX = 192  # px; images at most 2x this are shown as they are, larger ones get a JPEG thumbnail
PAGE_SIZE = 300  # cards per page: enough to scan, few enough that a 50k-image build stays responsive
FIELDS = ("id", "split", "attribute", "attribute_type", "object", "pair_status", "prompt", "seed", "filters", "thumb", "missing")


@dataclass
class ReportResult:
    """What `make_report` wrote."""

    index: Path
    n_items: int = 0
    n_missing: int = 0
    n_results: int = 0
    n_corpora: int = 0
    figures: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _asset(name: str) -> str:
    return (Path(str(resources.files("aobench"))) / "report" / "assets" / name).read_text(encoding="utf-8")


def _rel(target: Path, start: Path) -> str:
    return Path(os.path.relpath(target, start)).as_posix()


def make_thumbs(records: list[dict], root: Path, report_dir: Path) -> dict[str, Optional[str]]:
    """Per record id: the thumbnail's path relative to the report dir, or None when the image is missing."""
    from PIL import Image, UnidentifiedImageError

    out: dict[str, Optional[str]] = {}
    todo = []
    bd = BuildDir(root)
    for r in records:
        # a file outside the build (absolute, `../`, a symlink out) is refused: thumbnails are published with the report
        src = bd.file_path(r["file"], f"{bd.manifest_path} (id {r.get('id')!r})") if r.get("file") else None
        if src is None or not src.is_file():
            out[r["id"]] = None
            continue
        todo.append((r, src))
    with make_progress("images", transient=True) as progress:
        task = progress.add_task("report thumbnails", total=len(todo))
        for r, src in todo:
            out[r["id"]] = _thumb(r, src, report_dir, Image, UnidentifiedImageError)
            progress.advance(task)
    return out


def _thumb(r: dict, src: Path, report_dir: Path, Image, UnidentifiedImageError) -> Optional[str]:
    try:
        with Image.open(src) as im:
            if max(im.size) <= 2 * THUMB_MAX:
                return _rel(src, report_dir)  # small already: link the original, copy nothing
            dst = report_dir / "thumbs" / str(r.get("split") or "_") / f"{r['id']}.jpg"
            # a thumbnail newer than its source is current: reruns redo only what changed
            if dst.exists() and dst.stat().st_mtime >= src.stat().st_mtime:
                return _rel(dst, report_dir)
            im.thumbnail((THUMB_MAX, THUMB_MAX))
            import io

            buf = io.BytesIO()
            im.convert("RGB").save(buf, format="JPEG", quality=85)
            atomic_write_bytes(dst, buf.getvalue())
            return _rel(dst, report_dir)
    except (UnidentifiedImageError, OSError):
        return None  # unreadable file: shown as missing rather than a broken image


def _has_build(d: Path) -> bool:
    return BuildDir(d).manifest_path.is_file()


NMI_KEYS = ("train_nmi", "nmi", "measured_nmi")  # a result may carry its model's training-corpus NMI under one of these


def _nmi_points(results: list[Result], summary: dict[str, ModelSummary], corpora: list[Corpus]) -> list[tuple[str, float, float]]:
    """(model, nmi, composition acc): the nmi a result carries, else the corpus whose name occurs in the model label."""
    carried: dict[str, float] = {}
    for r in results:
        v = next((r.extra[k] for k in NMI_KEYS if isinstance(r.extra.get(k), (int, float))), None)
        if v is not None:
            carried.setdefault(r.label, float(v))
    pts = []
    for m, s in summary.items():
        if s.composition is None:
            continue
        nmi = carried.get(m)
        if nmi is None:
            hits = [c for c in corpora if c.nmi is not None and c.name.lower() in m.lower()]
            if hits:
                nmi = max(hits, key=lambda c: len(c.name)).nmi
        if nmi is not None:
            pts.append((m, nmi, s.composition))
    return pts


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.4f}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)


def _table_rows(results: list[Result]) -> list[dict]:
    """What the results table shows per result: the model label, task, dataset and its finite scalar metrics."""
    return [{"model": r.label, "task": r.task, "dataset": r.dataset, "metrics": {k: v for k, v in r.flat.items() if math.isfinite(v)}} for r in results]


def _result_columns(rows: list[dict], limit: int = 8) -> list[str]:
    cols: dict[str, int] = {}
    for r in rows:
        for k in r["metrics"]:
            if "/" not in k:
                cols[k] = cols.get(k, 0) + 1
    return sorted(cols, key=lambda k: (-cols[k], list(cols).index(k)))[:limit]


def _safe_name(name: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return keep[:60] or hashlib.sha1(name.encode()).hexdigest()[:10]


@holding("aobench report", arg="dir_", flag="", existing=True)  # the report is written inside DIR: one writer of DIR at a time
def make_report(dir_: str | Path, results: Optional[list] = None, corpora: Optional[list] = None, min_count: Optional[int] = None) -> ReportResult:
    """Write `DIR/report/index.html` and its figures from a build in DIR and/or eval results and corpus statistics.

    `min_count`: the PMI histograms show pairs seen at least this often (default: each corpus's `aobench nmi --min-count`).
    """
    root = Path(dir_)
    if not root.is_dir():
        raise AobenchError(f"{root}: no such directory — `aobench report DIR` needs a build dir from `aobench build` (or pass --results/--corpus)")
    result_paths = [Path(p) for p in (results or [])]
    loaded_results = load_results(result_paths, recursive=True) if result_paths else []
    if not _has_build(root) and not loaded_results:
        loaded_results = load_results([root], recursive=True)  # DIR itself may be an eval results dir
    loaded_corpora = [load_corpus(Path(p), need="stats") for p in (corpora or [])]
    if NmiDir(root).has_stats() and not any(c.path.resolve() == root.resolve() for c in loaded_corpora):
        loaded_corpora.append(load_corpus(root, need="stats"))
    bd = BuildDir(root)
    records = bd.manifest() if _has_build(root) else []
    if records and bd.real.manifest_path.is_file():
        records += bd.real.manifest()  # the `aobench real` control split, same columns
    if not records and not loaded_results and not loaded_corpora:
        raise AobenchError(
            f"{root}: nothing to report — the report needs a build (manifest.jsonl from `aobench build --out {root}`), "
            "eval results (JSON from `aobench eval`, via --results DIR) or corpus statistics (`aobench nmi` output, via --corpus DIR)"
        )

    report_dir = bd.report_dir
    fig_dir = report_dir / "figures"
    res = ReportResult(index=report_dir / "index.html", n_results=len(loaded_results), n_corpora=len(loaded_corpora))
    summary = summarize(loaded_results)

    figs: list[tuple[Optional[Path], str]] = [(plots.images_per_type(records, fig_dir / "images_per_type.png"), "Images per attribute type and split")]
    for c in loaded_corpora:
        stem = _safe_name(c.name)
        figs.append((plots.pair_heatmap(c, fig_dir / f"pair_counts_{stem}.png"), f"{c.name}: pair counts"))
        figs.append((plots.pmi_histogram(c, fig_dir / f"pmi_{stem}.png", min_count), f"{c.name}: PMI histogram"))
        if not c.pairs:
            res.notes.append(f"corpus {c.name}: no {PAIRS_CSV} beside {NMI_JSON}, so no heatmap or PMI histogram")
    shown = [c for c in loaded_corpora if c.nmi is not None]
    figs.append((plots.nmi_per_corpus(loaded_corpora, fig_dir / "nmi_per_corpus.png"), f"Per corpus: {plots.corpus_statistic(shown)[1]}" if shown else "NMI per corpus"))
    figs.append((eval_plots.per_attribute_type(loaded_results, fig_dir / "accuracy_by_attribute_type.png"), "Composition accuracy per attribute type"))
    figs.append((eval_plots.composition_vs_object(loaded_results, fig_dir / "composition_vs_object.png"), "Composition vs object accuracy"))
    figs.append((draw_spectrum(loaded_results, fig_dir / "spectrum.png"), "Compositionality vs recognition over models (aobench spectrum)"))
    if loaded_results and loaded_corpora:
        pts = _nmi_points(loaded_results, summary, loaded_corpora)
        figs.append((plots.nmi_vs_accuracy(pts, fig_dir / "nmi_vs_accuracy.png"), "NMI vs accuracy"))
        if not pts:
            res.notes.append("NMI vs accuracy: no model could be matched to a corpus (name the corpus dir after the model's pretrained tag, or put `train_nmi` in the result JSON)")
    if loaded_results and not any(s.composition is not None and s.object is not None for s in summary.values()):
        res.notes.append("composition vs object: no model has both a composition and an object result")
    res.figures = [p for p, _ in figs if p is not None]

    thumbs = make_thumbs(records, root, report_dir) if records else {}
    rows = []
    for r in records:
        t = thumbs.get(r["id"])
        res.n_missing += t is None
        rows.append([str(r.get(f)) if f == "seed" else r.get(f, "") for f in FIELDS[:-2]] + [t, t is None])
    res.n_items = len(rows)
    if res.n_missing:
        res.notes.append(f"{res.n_missing} image(s) listed in manifest.jsonl are missing on disk (shown as missing in the gallery)")

    lock = bd.lock_path
    review_key = hashlib.sha1((lock.read_text() if lock.exists() else str(root.resolve())).encode()).hexdigest()[:16]
    data = {"fields": list(FIELDS), "rows": rows, "page_size": PAGE_SIZE, "review_key": review_key}
    # "<" escaped so no string in the data can close the <script> element
    data_json = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    html = _render(root, records, loaded_results, loaded_corpora, figs, report_dir, data_json, res)
    atomic_write_text(res.index, html)
    return res


def _render(root, records, results, corpora, figs, report_dir, data_json, res) -> str:
    import jinja2
    from markupsafe import Markup

    from aobench.version import __version__

    name = root.resolve().name
    rows = _table_rows(results)
    kept = sum(r.get("filters") == "kept" for r in records)
    parts = []
    if records:
        parts.append(f"{len(records)} images ({kept} kept, {len(records) - kept} dropped by filters)")
    if results:
        parts.append(f"{len(results)} eval results")
    if corpora:
        parts.append(f"{len(corpora)} corpora")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    tpl = env.from_string(_asset("index.html.j2"))
    return tpl.render(
        version=__version__,
        title=name,
        subtitle="; ".join(parts),
        figures=[{"src": _rel(p, report_dir), "title": t} for p, t in figs if p is not None],
        notes=res.notes,
        results=rows,
        result_columns=_result_columns(rows),
        corpora=corpora,
        fmt=_fmt,
        n_items=len(records),
        css=Markup(_asset("gallery.css")),
        js=Markup(_asset("gallery.js")),
        data_json=Markup(data_json),
    )
