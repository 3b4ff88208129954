"""The `aobench` command: a thin typer layer; each command parses flags, calls one stage function, prints with rich.

Exit codes: 0 done; 2 a user error (AobenchError, a bad flag, a path that cannot be read or written), printed as
one line with no traceback; 130 interrupted (Ctrl-C), 143 terminated (SIGTERM, e.g. `kill PID`, a scheduler's
time limit), each with one line saying to rerun the same command to resume.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console, ConsoleDimensions
from rich.markup import escape
from rich.table import Table

from aobench.errors import EXIT_USER_ERROR, AobenchError, format_error

EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM, what a shell reports for a process SIGTERM ended
INTERRUPTED = "interrupted; rerun the same command to resume"
TERMINATED = "terminated (SIGTERM); rerun the same command to resume"


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would be: the same clean-up runs (temp files removed, pools stopped, nothing half-written)."""


_signals = {"term": False}


def _on_sigterm(signum, frame) -> None:
    _signals["term"] = True
    raise Terminated()


def _interrupted() -> None:
    if _signals["term"]:
        _fail(TERMINATED, EXIT_TERMINATED)
    _fail(INTERRUPTED, EXIT_INTERRUPTED)
PIPED_WIDTH = 10_000  # not a terminal: tables as wide as their content, never cut to 80 columns with "…"


class _Console(Console):
    """A rich Console that, when its file is not a terminal (a pipe, a file), does not cut lines to 80 columns."""

    @property
    def size(self) -> ConsoleDimensions:
        """Terminal size, or a very wide one when piped (COLUMNS, if set, still wins)."""
        dims = super().size
        if self._width is None and not self.is_terminal and not self.is_jupyter:
            return ConsoleDimensions(PIPED_WIDTH, dims.height)
        return dims

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)


app = typer.Typer(add_completion=False, no_args_is_help=True, help="Benchmarks of compositional OOD generalisation for CLIP-style models.")
stdout = _Console()
err = _Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        from aobench.version import __version__

        print_line(f"aobench {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="print the version and exit"),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="log what the library does (-vv: debug)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="log errors only"),
) -> None:
    """aobench: build, measure, publish and evaluate compositional OOD benchmarks."""
    from aobench.logs import setup_logging

    setup_logging(verbose=verbose, quiet=quiet)


RECIPE_PATH_HELP = "folder of your own recipe YAMLs, found by name (repeatable; also $AOBENCH_RECIPE_PATH, colon-separated)"


@app.command("recipes")
def recipes_cmd(
    recipe_path: Optional[List[Path]] = typer.Option(None, "--recipe-path", help=RECIPE_PATH_HELP),
) -> None:
    """List recipes (built-in and on the recipe path) with a one-line description and the corpora their pairs are checked against.

    Examples:

        aobench recipes

        # your own recipe folder too (also $AOBENCH_RECIPE_PATH)
        aobench recipes --recipe-path my-recipes/
    """
    from aobench.nmidir import corpus_info, describe
    from aobench.recipe import builtin_dir, list_recipes, load, recipe_sources

    search = list(recipe_path or [])
    sources = recipe_sources(search)
    own = {n: p for n, p in sources.items() if p.parent != builtin_dir()}
    table = Table("recipe", "description", "pairs checked against")
    if own:
        table.add_column("file", overflow="fold")  # the whole path, wrapped, never cut
    corpora: dict[str, dict] = {}
    for name, desc in list_recipes(search).items():
        try:
            pairs = load(sources.get(name, name), search=search).pairs
        except AobenchError:  # a broken recipe of the user's still gets listed; building it shows the error
            checked = "? (the recipe does not load)"
        else:
            infos = [corpus_info(r) for r in pairs.counts]
            corpora.update((i["name"], i) for i in infos)
            checked = ", ".join(i["name"] for i in infos) or ("no corpus (unusual = held out)" if pairs.unusual_fraction else "no corpus (unchecked)")
        table.add_row(name, escape(desc), escape(checked), *([escape(str(own[name])) if name in own else "built-in"] if own else []))
    stdout.print(table)
    for info in corpora.values():
        print_line(describe(info))


@app.command("build")
def build_cmd(
    recipe: str = typer.Argument(..., help="recipe name (see `aobench recipes`) or a YAML path"),
    out: Path = typer.Option(..., "--out", help="build directory (rerun to resume)"),
    limit: Optional[int] = typer.Option(None, "--limit", help="only N images, spread over the splits in proportion (each split at least one while N allows), the same images as in the full build"),
    tiny: bool = typer.Option(False, "--tiny", help="tiny random model of the same family (offline smoke run)"),
    seed: Optional[int] = typer.Option(None, "--seed", help="override the recipe seed"),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", help="images per generator call (speed only)"),
    device: str = typer.Option("auto", "--device", help="auto, cpu, cuda, cuda:N"),
    dtype: Optional[str] = typer.Option(None, "--dtype", help="override generator.dtype: float32, float16, bfloat16 (changes the images, so the recipe)"),
    shard: Optional[str] = typer.Option(None, "--shard", help="i/n: generate every n-th image from i (several GPUs)"),
    force: bool = typer.Option(False, "--force", help="replace a build of a different recipe in --out"),
    review: Optional[Path] = typer.Option(None, "--review", help="review.jsonl from the report gallery: drop rejected images (rejected_by_review); re-applies filters on a finished build"),
    wait: bool = typer.Option(False, "--wait", help="if another build is writing --out, wait for it instead of refusing"),
    recipe_path: Optional[List[Path]] = typer.Option(None, "--recipe-path", help=RECIPE_PATH_HELP),
) -> None:
    """Build a benchmark dataset from a recipe (resumable; one build per --out at a time).

    Examples:

        # weight-free and offline: procedural shapes
        aobench build shapes-ao --out runs/shapes-ao

        # a 24-image smoke build of imagenet-ao with a tiny random pipeline (no download)
        aobench build imagenet-ao --out runs/smoke --limit 24 --tiny

        # the real thing on a GPU (rerun the same command to resume)
        aobench build imagenet-ao --out runs/imagenet-ao --device cuda --batch-size 8
    """
    from aobench.build import build

    res = build(recipe, out, limit=limit, tiny=tiny, seed=seed, batch_size=batch_size, device=device, dtype=dtype, force=force, shard=shard,
                review=str(review) if review else None, wait=wait, recipe_path=recipe_path)  # fmt: skip
    if res.rank:  # the other ranks of a launch: rank 0 reports for all
        return
    procs = f" ({res.processes} processes)" if res.processes > 1 else ""
    if res.status == "already-complete":
        print_line(f"{out}: build already complete; nothing to do{procs}")
        return
    if res.status == "shard-done" and res.processes > 1:
        print_line(f"{out}: images are missing after every rank finished ({res.n_generated_now} generated now); rerun the launch to finish{procs}")
        return
    if res.status == "shard-done":
        print_line(f"{out}: shard {shard} done ({res.n_generated_now} images now); other shards still running — rerun without --shard to assemble")
        return
    table = Table("split", "images kept")
    for name, n in res.splits.items():
        table.add_row(name, str(n))
    stdout.print(table)
    if res.empty_splits:
        print_line(f"note: no images in split(s) {', '.join(res.empty_splits)}: left out of {out}/hf (a split with no rows cannot be loaded)")
    dropped = ", ".join(f"{k}: {v}" for k, v in res.filter_stats.items()) or "none"
    print_line(f"{out}: {res.n_kept}/{res.n_planned} images kept (generated now: {res.n_generated_now}; dropped by filter: {dropped}){procs}")


def print_line(text: str) -> None:
    """Print a plain line to stdout (no markup interpretation)."""
    stdout.print(text, markup=False, highlight=False, soft_wrap=True)


def _num(value: Optional[float], digits: int) -> str:
    """A number for a table cell; n/a where it is undefined (None or NaN, e.g. NMI of no events)."""
    return "n/a" if value is None or value != value else f"{value:.{digits}f}"


# Commands of later stages register below (one function each, calling one stage function).


@app.command("foils")
def foils_cmd(
    input: Path = typer.Argument(..., help="a build dir (known attribute/object per row) or a captions file (.txt/.jsonl/.csv)"),
    out: Path = typer.Option(..., "--out", help="output JSONL: id, caption, foil, type, bow_identical (+ span, pairs)"),
    types: Optional[List[str]] = typer.Option(None, "--types", help="foil types (repeat or comma-separate; default all): replace_att, replace_obj, swap_att, swap_obj, add_att, negate"),
    seed: int = typer.Option(0, "--seed", help="seed of every random choice (per caption and type) and of the random-init blind CLIP"),
    vocab: str = typer.Option("imagenet-ao", "--vocab", help="captions files: recipe whose vocabulary (classes, generic nouns, typed attributes) to match, or `none` for every noun and adjective"),
    per_type: int = typer.Option(1, "--per-type", help="foils per caption and type (0: every alternative)"),
    text_column: Optional[str] = typer.Option(None, "--text-column", help="caption column of a .jsonl/.csv"),
    split: Optional[List[str]] = typer.Option(None, "--split", help="build dir: only these splits (repeatable)"),
    audit: bool = typer.Option(True, "--audit/--no-audit", help="blind text-only scorer audit (OUT's name + .audit.json)"),
    balance: bool = typer.Option(False, "--balance", help="drop foils until every blind scorer is near 50% per type"),
    tolerance: float = typer.Option(0.05, "--tolerance", help="--balance: allowed distance from 50%"),
    counts: Optional[Path] = typer.Option(None, "--counts", help="corpus counts for the PMI scorer and the plausibility prior (`aobench nmi` dir or counts.json; default: PMI on the input itself, each caption left out)"),
    plausibility: bool = typer.Option(True, "--plausibility/--no-plausibility", help="captions files: make no foil whose new pair the shipped corpus counts reject outright"),
    blind_clip: str = typer.Option("aobench-vit-s-64", "--blind-clip", help="open_clip architecture of the random-init blind scorer, or `none`"),
    audit_out: Optional[Path] = typer.Option(None, "--audit-out", help="audit JSON path (default: OUT's name + .audit.json, beside OUT)"),
    audit_sample: int = typer.Option(1000, "--audit-sample", help="foils audited per type (0: all; --balance audits all)"),
) -> None:
    """Foil captions (replace/swap/add/negate) and their bias audit by blind text-only scorers.

    Examples:

        aobench foils captions.txt --out foils.jsonl

        # open vocabulary, two foil types
        aobench foils captions.jsonl --vocab none --types replace_att,swap_att --out open.jsonl

        # foils of a build's rows (for `aobench eval --foils`), balanced until the blind scorers are near chance
        aobench foils builds/shapes --split test --out builds/shapes/foils.jsonl --balance

        # PMI scorer and plausibility prior from your own corpus counts
        aobench foils captions.txt --counts nmi_out/ --out foils.jsonl
    """
    from aobench.foils.audit import audit_table
    from aobench.foils.pipeline import run_foils

    res = run_foils(input, out, types=types, seed=seed, vocab=vocab, per_type=per_type, text_column=text_column, splits=split,
                    audit=audit, do_balance=balance, counts=str(counts) if counts else None, audit_out=audit_out,
                    audit_sample=audit_sample or None, tolerance=tolerance, plausibility=plausibility,
                    blind_clip=None if blind_clip.lower() == "none" else blind_clip)  # fmt: skip
    if res.get("audit"):
        stdout.print(audit_table(res["audit"]))
        bal = res["audit"].get("balance")
        if bal:
            per = ", ".join(f"{k}: {v}" for k, v in bal["dropped_per_type"].items()) or "none"
            stuck = [t for t, e in bal["types"].items() if not e.get("within_tolerance", True)]
            tail = f"; not within tolerance: {', '.join(sorted(stuck))}" if stuck else ""
            print_line(f"balance: dropped {bal['n_dropped']} foils ({per}); tolerance {bal['tolerance']}{tail}")
    if res["n_no_pair"]:
        ex = "; ".join(repr(t) for t in res["no_pair_examples"])
        print_line(f"skipped {res['n_no_pair']} captions with no attribute-object pair, e.g. {ex}")
    if res["n_no_foil"]:
        ex = "; ".join(repr(t) for t in res["no_foil_examples"])
        print_line(f"no foil of {res['n_no_foil']} captions that have pairs, e.g. {ex}")
    if res["no_foil_by_type"]:
        print_line("no foil of a type, by reason (captions with pairs): " + "; ".join(
            f"{t}: " + ", ".join(f"{r.replace('_', ' ')} {n}" for r, n in v.items()) for t, v in res["no_foil_by_type"].items()))
    if res["implausible_per_type"]:
        print_line("foils the plausibility prior dropped (redrawn where a plausible one existed): "
                   + ", ".join(f"{t}: {n}" for t, n in res["implausible_per_type"].items()))
    per = ", ".join(f"{k}: {v}" for k, v in res["per_type"].items())
    tail = f"; audit: {res['audit_path']}" if res.get("audit_path") else ""
    print_line(f"{out}: {res['n_foils']} foils from {res['n_foiled']}/{res['n_with_pairs']} captions with pairs ({res['share_foiled']:.1%}; "
               f"{res['n_captions']} read) ({per}){tail}")


@app.command("extract")
def extract_cmd(
    corpus: List[str] = typer.Argument(..., help="caption files (.txt/.jsonl/.csv/.tsv/.parquet, .gz/.zst), save_to_disk dirs or Hub ids"),
    out: Path = typer.Option(..., "--out", help="output JSONL: one {id, pairs} line per caption"),
    text_column: Optional[str] = typer.Option(None, "--text-column", help="caption column (default: caption/text/TEXT/...)"),
    vocab: str = typer.Option("imagenet-ao", "--vocab", help="recipe whose vocabulary to match, or `none` for open vocabulary"),
    workers: int = typer.Option(1, "--workers", help="processes, one spaCy pipeline each"),
) -> None:
    """Extract attribute-object pairs per caption with spaCy dependency rules.

    Examples:

        aobench extract /data/coco/captions_val2017.json --out pairs.jsonl

        # open vocabulary, from standard input, 2 processes
        zcat alt-text.txt.gz | aobench extract - --vocab none --out pairs.jsonl --workers 2
    """
    from aobench.text.engine import extract_to_jsonl

    counts = extract_to_jsonl(corpus, out, None if vocab.lower() == "none" else vocab, text_column=text_column, workers=workers)
    skipped = ", ".join(f"{k}: {v}" for k, v in sorted(counts.n_skipped.items())) or "none"
    print_line(f"{out}: {counts.n_captions} captions, {counts.n_captions_with_pairs} with pairs, {counts.n_events} pairs, "
               f"{counts.n_negated} negated (not counted); skipped: {skipped}")


@app.command("nmi")
def nmi_cmd(
    corpus: Optional[List[str]] = typer.Argument(None, help="caption corpora (several: pooled, plus one folder and a comparison row each)"),
    out: Path = typer.Option(..., "--out", help="output dir: nmi.json, pairs.csv, counts.json (+ corpora/, comparison.csv)"),
    normalization: str = typer.Option("arithmetic", "--normalization", help="arithmetic|geometric|min|max|joint (scikit-learn's average_method; AMI with joint uses arithmetic)"),
    vocab: str = typer.Option("imagenet-ao", "--vocab", help="recipe whose vocabulary to match, or `none`"),
    bootstrap: int = typer.Option(0, "--bootstrap", help="resamples of captions for bias-corrected (basic) 95% intervals of NMI and AMI"),
    sample_captions: Optional[int] = typer.Option(None, "--sample-captions", help="also NMI and AMI at exactly N captions per corpus (drawn without replacement), to compare corpora of different sizes"),
    repeats: int = typer.Option(20, "--repeats", help="--sample-captions: draws per corpus (mean and 2.5/97.5 percentiles)"),
    min_count: int = typer.Option(1, "--min-count", help="pairs.csv (and the report's PMI histogram) list only pairs seen at least K times; NMI counts every event"),
    engine: str = typer.Option("local", "--engine", help="local|spark"),
    workers: int = typer.Option(1, "--workers", help="local engine processes"),
    spark_master: Optional[str] = typer.Option(None, "--spark-master", help="Spark master URL (local[N], spark://HOST:PORT, yarn, k8s://..., sc://... for Spark Connect); default: the active session, SPARK_REMOTE, SPARK_MASTER, spark-submit's, else local[*]"),
    spark_partitions: Optional[int] = typer.Option(None, "--spark-partitions", help="repartition each corpus into N partitions before extraction"),
    text_column: Optional[str] = typer.Option(None, "--text-column", help="caption column of .jsonl/.csv/.parquet/datasets (default: caption, text, TEXT, ...)"),
    pairs: Optional[Path] = typer.Option(None, "--pairs", help="an `aobench extract` output instead of corpora"),
    seen_threshold: int = typer.Option(1, "--seen-threshold", help="a pair with count >= this is seen"),
    seed: int = typer.Option(0, "--seed", help="seed of the bootstrap and of --sample-captions draws"),
) -> None:
    """Attribute-object co-occurrence: NMI, AMI, MI, entropies, PMI per pair, seen pairs.

    Plug-in NMI grows as a corpus shrinks (an independent table of N events has MI of about (R-1)(C-1)/(2N));
    AMI subtracts the MI expected by chance at the corpus's own size, and --sample-captions N measures every
    corpus at the same size. Several corpora: DIR/nmi.json, pairs.csv and counts.json pool them all;
    DIR/corpora/NAME/ holds each corpus's own three files; DIR/comparison.csv has one row per corpus, and the
    printed table compares them. Per-file counts in DIR/shards/ let a rerun resume file by file. A corpus may
    be a pipe, or `-` for standard input (read once; no resume).

    Examples:

        aobench nmi captions.txt --out runs/nmi --bootstrap 200

        # two corpora compared at one size, open vocabulary
        aobench nmi coco.json flickr8k.txt --out runs/cmp --vocab none --sample-captions 2000 --repeats 20 --min-count 5

        # a compressed corpus through a pipe
        aobench nmi <(zcat big.txt.gz) --out runs/nmi-big
    """
    from aobench.nmidir import NMI_JSON, PAIRS_CSV
    from aobench.text.analyze import run_nmi

    if not corpus and pairs is None:
        raise AobenchError("give at least one CORPUS or --pairs FILE.jsonl")
    res = run_nmi(list(corpus or []), out, vocab_ref=None if vocab.lower() == "none" else vocab, normalization=normalization,
                  bootstrap=bootstrap, engine=engine, workers=workers, text_column=text_column, pairs_file=pairs,
                  seen_threshold=seen_threshold, seed=seed, spark_master=spark_master, spark_partitions=spark_partitions,
                  sample_captions=sample_captions, repeats=repeats, min_count=min_count)  # fmt: skip
    rows = res["corpora"] or [res["pooled"]]
    pooled = res["pooled"]
    cols = ["corpus", "NMI (plug-in)", "AMI"]
    if bootstrap:
        cols += ["NMI bias-corr. [95% CI]", "AMI [95% CI]"]
    if sample_captions:
        cols += [f"NMI @{sample_captions:,} [95% range]", f"AMI @{sample_captions:,} [95% range]"]
    cols += ["MI", "H(attr)", "H(obj)", "events", "captions", "skipped", "seen pairs"]
    table = Table(*cols, title=f"NMI ({normalization}), AMI ({pooled.get('ami_normalization', normalization)})")
    for r in rows + ([pooled] if res["corpora"] else []):
        cells = [escape(str(r["corpus"])), _num(r["nmi"], 4), _num(r.get("ami"), 4)]
        ci = r.get("ci") or {}
        if bootstrap:
            cells += [_interval(ci.get("nmi"), "estimate"), _interval(ci.get("ami"), "estimate")]
        if sample_captions:
            at = r.get("at_n") or {}
            cells += [_interval(at.get("nmi"), "mean"), _interval(at.get("ami"), "mean")]
        cells += [_num(r["mi"], 4), _num(r["h_attribute"], 3), _num(r["h_object"], 3), str(r["n_events"]), str(r["n_captions"]), str(r["n_skipped"]), str(r["n_seen_pairs"])]
        table.add_row(*cells)
    stdout.print(table)
    if bootstrap:
        ci = pooled.get("ci") or {}
        print_line(f"intervals: {ci.get('method', 'basic')} bootstrap, {bootstrap} resamples of captions (seed {seed}): NMI's bias-corrected estimate [95% CI] "
                   "(plug-in NMI is biased upwards on sparse tables, so its interval may sit below it); AMI [95% CI] centred on AMI, already chance-corrected")
    if pooled.get("n_negated"):
        print_line(f"negated: {pooled['n_negated']} pair mentions a caption negates (\"not blue\", \"no red ...\"), not counted as events")
    if pooled.get("n_skipped_by_reason"):
        print_line("skipped: " + ", ".join(f"{k}: {v}" for k, v in pooled["n_skipped_by_reason"].items()))
    for note in res.get("notes", []):
        print_line(f"note: {note}")
    print_line(f"wrote {out}/{NMI_JSON} and {out}/{PAIRS_CSV}" + (f" (pairs seen at least {min_count} times)" if min_count > 1 else ""))


def _interval(iv: Optional[dict], point: str) -> str:
    """'estimate [low, high]' of an interval dict, n/a where undefined."""
    if not iv or iv.get(point) is None:
        return "n/a"
    return f"{_num(iv[point], 4)} [{_num(iv.get('low'), 4)}, {_num(iv.get('high'), 4)}]"


@app.command("push")
def push_cmd(
    dir: Path = typer.Argument(..., help="finished build dir (from `aobench build`)"),
    repo_id: str = typer.Option(..., "--repo-id", help="Hub dataset repo, OWNER/NAME"),
    private: bool = typer.Option(False, "--private", help="create the repo private"),
    dry_run: bool = typer.Option(False, "--dry-run", help="print the files, sizes and card; upload nothing"),
    force: bool = typer.Option(False, "--force", help="overwrite a repo holding a different build or other files"),
    revision: Optional[str] = typer.Option(None, "--revision", help="branch to push to (created if missing); with --create-pr, the PR's base"),
    create_pr: bool = typer.Option(False, "--create-pr", help="open a pull request instead of committing to the branch"),
) -> None:
    """Push a build to the Hugging Face Hub (Parquet shards, card, configs) in one commit; token from HF_TOKEN or `hf auth login`.

    Examples:

        # what would be uploaded, and the card
        aobench push runs/shapes-ao --repo-id me/shapes-ao --dry-run

        aobench push runs/shapes-ao --repo-id me/shapes-ao --private
    """
    from aobench.dataset.hub import push

    res = push(dir, repo_id, private=private, dry_run=dry_run, force=force, revision=revision, create_pr=create_pr)
    st = res.staged
    table = Table("file", "bytes")
    for name in st.files:
        table.add_row(escape(name), f"{st.size(name):,}")
    stdout.print(table)
    total = sum(st.size(n) for n in st.files)
    if res.status == "dry-run":
        print_line("--- README.md (dataset card) ---")
        print_line(st.card)
        print_line(f"dry run: would push {len(st.files)} files ({total:,} bytes) to https://huggingface.co/datasets/{repo_id}; nothing uploaded")
    elif res.status == "up-to-date":
        print_line(f"{repo_id}: already holds this build ({st.manifest['fingerprint']}); nothing to push")
    else:
        gone = f", deleted {len(res.deleted)} stale files" if res.deleted else ""
        print_line(f"{repo_id}: pushed {len(st.files)} files ({total:,} bytes){gone} — {res.url or 'https://huggingface.co/datasets/' + repo_id}")


@app.command("export")
def export_cmd(
    dir: Path = typer.Argument(..., help="finished build dir (from `aobench build`)"),
    format: str = typer.Option(..., "--format", help="export format: webdataset (CLIP_benchmark layout)"),
    out: Path = typer.Option(..., "--out", help="export dir (CLIP_benchmark roots per task view inside)"),
    classes: str = typer.Option("split", "--classes", help="split: each split ranks its own classes, as `aobench eval --splits SPLIT` and a default run's by_split/SPLIT/acc1 (one root per split); all: one class list over every split, a default run's by_split/SPLIT/acc1_all"),
    image_format: str = typer.Option("png", "--image-format", help="png (as built) or webp (lossless)"),
    shard_size: int = typer.Option(10000, "--shard-size", help="samples per tar shard"),
    force: bool = typer.Option(False, "--force", help="replace a non-empty --out that is not an earlier export"),
) -> None:
    """Export a build for CLIP_benchmark (`clip_benchmark eval --dataset wds/<view> --dataset_root ROOT --split SPLIT`).

    Examples:

        aobench export runs/shapes-ao --format webdataset --out runs/shapes-ao-wds

        # one class list over every split
        aobench export runs/shapes-ao --format webdataset --out runs/wds-all --classes all
    """
    if format != "webdataset":
        raise AobenchError(f"--format {format!r}: supported formats: webdataset")
    from aobench.dataset.webdataset import export_webdataset
    from aobench.io import writable_dir

    writable_dir(out)
    res = export_webdataset(dir, out, image_format=image_format, shard_size=shard_size, classes=classes, force=force)
    table = Table("view", "split", "classes", "samples", "shards", "--dataset_root")
    for view, v in res.views.items():
        for split, s in v["splits"].items():
            table.add_row(view, split, str(s["classes"]), str(s["samples"]), str(s["shards"]), escape(str(out / s["root"])))
    stdout.print(table)
    if res.skipped:
        print_line(f"note: empty splits not exported: {', '.join(res.skipped)}")
    for note in res.notes:
        print_line(f"note: {note}")
    first = next(iter(res.views), "composition")
    splits = res.views.get(first, {}).get("splits", {})
    split = "test_unusual" if "test_unusual" in splits else (list(splits)[-1] if splits else "test")
    root = out / splits[split]["root"] if split in splits else out / first
    print_line(f"{out}: exported {', '.join(res.views)}; evaluate with: clip_benchmark eval --dataset wds/{first} --dataset_root {root} --split {split} --model ViT-B-32 --pretrained laion2b_s34b_b79k")
    sfx, how = ("", "each split ranked among its own classes, as `aobench eval --splits SPLIT`") if res.classes == "split" else ("_all", "ranked among the union of the exported splits' classes, as a default `aobench eval` ranks among its evaluated splits'")
    print_line(f"--classes {res.classes}: clip_benchmark's acc1, acc5, mean_per_class_recall on a split's root reproduce `aobench eval`'s "
               f"by_split/<split>/acc1{sfx}, acc5{sfx}, mean_per_class_recall{sfx} ({how})")


study_app = typer.Typer(no_args_is_help=True, help="Controlled studies on shapes-ao (train small CLIPs, evaluate, summarise).")
app.add_typer(study_app, name="study")


@study_app.command("nmi-sweep")
def study_nmi_sweep_cmd(
    out: Path = typer.Option(..., "--out", help="study directory (rerun to resume; finished runs are skipped)"),
    profile: str = typer.Option("auto", "--profile", help="auto: default on a CUDA device, else cpu; quick (smoke test, 2 runs: 3 min on 2 quiet CPU cores, 17 min on a busy one), cpu (5 levels x 3 seeds: ~33 min on 2 quiet CPU cores) or default (5 levels x 3 seeds, sized for one GPU)"),
    nmi: Optional[str] = typer.Option(None, "--nmi", help="comma-separated caption-NMI targets, e.g. 0.2,0.3,0.4 (default: the profile's)"),
    seeds: Optional[int] = typer.Option(None, "--seeds", help="training seeds per level (default: the profile's)"),
    shard: Optional[str] = typer.Option(None, "--shard", help="i/n: run every n-th (design, level, seed) run from i (one process per GPU)"),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="override the profile's training epochs"),
    arch: Optional[str] = typer.Option(None, "--arch", help="override the profile's open_clip architecture (e.g. aobench-rn-s-64)"),
    images: Optional[int] = typer.Option(None, "--images", help="override the train images per level"),
    min_images_per_seen_pair: Optional[int] = typer.Option(None, "--min-images-per-seen-pair", help="coverage control: every seen pair gets this many train images and the same per-pair counts at every level (default: the profile's; 0 = off, the plain mixture knob)"),
    ablation: bool = typer.Option(False, "--ablation", help="also run the mixture knob (coverage falls as NMI rises) at the same levels and report both designs"),
    device: str = typer.Option("auto", "--device", help="auto, cpu, cuda, cuda:N"),
) -> None:
    """Train small CLIPs on shapes-ao splits at chosen caption NMI and relate NMI to unusual-pair accuracy.

    Examples:

        # smoke test (2 runs)
        aobench study nmi-sweep --out runs/study-quick --profile quick

        # the CPU study (15 runs), or with the default `auto` profile on a GPU machine the GPU one
        aobench study nmi-sweep --out runs/study --profile cpu

        # one GPU of four; rerun without --shard to write the combined results
        aobench study nmi-sweep --out runs/study --profile default --shard 0/4 --device cuda:0
    """
    from aobench.options import parse_shard
    from aobench.study.nmi_sweep import run_sweep
    from aobench.study.profiles import get_profile
    from aobench.study.splits import parse_levels

    from aobench.study.profiles import machine_profile

    prof = get_profile(machine_profile(profile, device), levels=parse_levels(nmi), seeds=seeds, epochs=epochs, arch=arch, images=images, min_images_per_seen_pair=min_images_per_seen_pair)
    res = run_sweep(out, prof, shard=parse_shard(shard), device=device, ablation=ablation)
    table = Table("design", "target NMI", "measured NMI", "seed", "min img/pair", "unusual acc", "seen acc", "best HM")
    for r in res.study["runs"] + ((res.study.get("ablation") or {}).get("runs") or []):
        m = r["metrics"]
        cov = (r.get("coverage") or {}).get("min_images_per_seen_pair", "")
        table.add_row(r["design"]["tag"], f"{r['target_nmi']:g}", f"{r['measured_nmi']:.4f}", str(r["seed"]), str(cov), f"{m['closed_unusual_composition_acc']:.3f}", f"{m['closed_seen_composition_acc']:.3f}", f"{m['closed_best_hm']:.3f}")
    stdout.print(table)
    sp = res.study["spearman"]
    rho = "n/a" if sp["rho"] is None else f"{sp['rho']:.3f}"
    p = "n/a" if sp["p_value"] is None else f"{sp['p_value']:.3g}"
    state = "complete" if res.complete else f"partial ({len(res.study['missing'])} runs left)"
    print_line(f"{out}: {state} (profile {prof.name}); trained {len(res.trained)}, resumed {len(res.resumed)}, skipped {len(res.skipped)}; Spearman rho {rho} (permutation p {p}); see {out}/summary.md")


@app.command("report")
def report_cmd(
    dir: Path = typer.Argument(..., help="build dir (from `aobench build`); the report goes to DIR/report/"),
    results: Optional[List[Path]] = typer.Option(None, "--results", help="eval results dir or JSON (from `aobench eval`); repeatable"),
    corpus: Optional[List[Path]] = typer.Option(None, "--corpus", help="corpus statistics dir (from `aobench nmi`); repeatable"),
    min_count: Optional[int] = typer.Option(None, "--min-count", help="PMI histograms: only pairs seen at least K times (default: each corpus's `aobench nmi --min-count`)"),
) -> None:
    """Figures and a static HTML gallery (with review mode) in DIR/report/.

    The per-corpus figure shows NMI at one size when every corpus was measured with `aobench nmi --sample-captions N`,
    else AMI, and says which.

    Examples:

        aobench report runs/shapes-ao

        # with eval results and corpus statistics beside the images
        aobench report runs/shapes --results runs/eval --corpus runs/nmi/corpora/coco --corpus runs/nmi/corpora/flickr8k --min-count 5
    """
    from aobench.report.gallery import make_report

    res = make_report(dir, results=results or [], corpora=corpus or [], min_count=min_count)
    for note in res.notes:
        print_line(f"note: {note}")
    print_line(f"{res.index}: {res.n_items} images ({res.n_missing} missing), {len(res.figures)} figures, {res.n_results} results, {res.n_corpora} corpora")


@app.command("real")
def real_cmd(
    dir: Path = typer.Argument(..., help="build dir (from `aobench build`); the real split goes to DIR/real/"),
    table: List[Path] = typer.Option(..., "--table", help="caption/URL table: .parquet, .csv, .tsv or .jsonl (repeatable)"),
    per_object: int = typer.Option(50, "--per-object", help="at most N images per object (and per seen pair)"),
    per_pair: int = typer.Option(50, "--per-pair", help="at most N images per unusual pair"),
    image_size: int = typer.Option(256, "--image-size", help="resize the longer side down to this"),
    output_format: str = typer.Option("files", "--output-format", help="img2dataset output: files or webdataset"),
    distributor: str = typer.Option("multiprocessing", "--distributor", help="img2dataset distributor: multiprocessing (local) or pyspark"),
    spark_master: Optional[str] = typer.Option(None, "--spark-master", help="with --distributor pyspark: the Spark master (default: the active session, SPARK_MASTER, spark-submit's, else local[*])"),
    processes: int = typer.Option(1, "--processes", help="download processes"),
    threads: int = typer.Option(16, "--threads", help="download threads per process"),
    timeout: int = typer.Option(10, "--timeout", help="seconds per URL"),
    retries: int = typer.Option(0, "--retries", help="retries per failed URL"),
    shard_size: int = typer.Option(1000, "--shard-size", help="URLs per img2dataset shard (the unit of resume)"),
    url_column: str = typer.Option("url", "--url-column"),
    caption_column: str = typer.Option("caption", "--caption-column"),
    force: bool = typer.Option(False, "--force", help="discard a real split made from a different selection"),
) -> None:
    """Real photographs of the build's objects and unusual pairs (img2dataset) as a `real` split.

    Examples:

        aobench real runs/imagenet-ao --table laion-subset.parquet --per-object 20

        # on a Spark cluster
        aobench real runs/imagenet-ao --table urls/ --distributor pyspark --spark-master spark://host:7077
    """
    from aobench.real import make_real

    res = make_real(dir, table, per_object=per_object, per_pair=per_pair, image_size=image_size, output_format=output_format,
                    distributor=distributor, processes=processes, threads=threads, timeout=timeout, retries=retries,
                    shard_size=shard_size, url_column=url_column, caption_column=caption_column, force=force, spark_master=spark_master)
    s = res.stats
    print_line(f"{res.out}: {res.kept}/{res.selected} images (failed to download: {s['failed_to_download']}, failed to resize: "
               f"{s['failed_to_resize']}; unusual {s['by_status']['unusual']}, seen {s['by_status']['seen']}, object-only {s['by_status']['object']})")


@app.command("eval")
def eval_cmd(
    data: Optional[str] = typer.Argument(None, help="build dir, `save_to_disk` dir, Hub dataset id, or benchmark(s): sugarcrepe, sugarcrepe/swap_att, sugarcrepe,valse,aro, suite (`aobench benchmarks`)"),
    model: Optional[List[str]] = typer.Option(None, "--model", help="model spec, repeatable: tiny, open_clip:ARCH:PRETRAINED|/ckpt.pt|/ckpt_dir/, open_clip:hf-hub:ORG/NAME, hf:ID_OR_PATH, wise:A,B@ALPHA"),
    models_from: Optional[Path] = typer.Option(None, "--models-from", help="text file of model specs, one a line ('#' comments), added to --model"),
    out: Optional[Path] = typer.Option(None, "--out", help="results directory (one JSON per model and task, results.csv)"),
    tasks: Optional[List[str]] = typer.Option(None, "--tasks", help="comma-separated or repeated task names (default: all; `--list-tasks` shows each with its headline metric)"),
    templates: str = typer.Option("recipe", "--templates", help="recipe (the build's prompts), openai (80 ImageNet templates), simple, or a file with one template per line"),
    device: str = typer.Option("auto", "--device", help="auto, cpu, cuda, cuda:N"),
    batch_size: int = typer.Option(64, "--batch-size", help="images per forward pass"),
    skip_existing: bool = typer.Option(False, "--skip-existing", help="skip (model, task) results already in --out"),
    plot: bool = typer.Option(False, "--plot", help="write matplotlib figures to OUT/plots/"),
    foils: Optional[Path] = typer.Option(None, "--foils", help="foils JSONL from `aobench foils` for the foils task"),
    list_models: bool = typer.Option(False, "--list-models", help="print the available model specs and exit"),
    list_tasks: bool = typer.Option(False, "--list-tasks", help="print each task's headline metric, its direction and options, and exit"),
    wise_alphas: Optional[str] = typer.Option(None, "--wise-alphas", help="sweep WiSE specs without @ALPHA, e.g. 0,0.25,0.5,0.75,1"),
    splits: Optional[str] = typer.Option(None, "--splits", "--split", help="comma-separated splits to evaluate (default: all but train)"),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="embedding cache (default: $AOBENCH_CACHE/eval or ~/.cache/aobench/eval)"),
    no_cache: bool = typer.Option(False, "--no-cache", help="recompute every embedding, write no cache"),
    workers: int = typer.Option(2, "--workers", help="image decoding threads"),
    amp: bool = typer.Option(False, "--amp", help="mixed precision on CUDA"),
    shard: Optional[str] = typer.Option(None, "--shard", help="i/n: evaluate every n-th model from i (one process per GPU; results.csv gathers all)"),
    czsl_protocol: str = typer.Option("reference", "--czsl-protocol", help="czsl task option: reference (the CZSL community's evaluator: comparable with published tables) or exact (every point of the bias curve)"),
    images: Optional[List[str]] = typer.Option(None, "--images", help="benchmarks: a folder of images for every source, or SOURCE=DIR for one image set (repeatable); default $AOBENCH_DATA/images/SOURCE"),
    annotations: Optional[Path] = typer.Option(None, "--annotations", help="benchmarks: folder with the authors' annotation files (or one subfolder per benchmark); default: the data home (`aobench benchmarks get`)"),
    skip_missing: bool = typer.Option(False, "--skip-missing", help="benchmarks: evaluate the examples whose images are here and record how many were not"),
    precision: Optional[str] = typer.Option(None, "--precision", help="fp32 (default, as the benchmarks' authors) or amp (mixed precision on CUDA; recorded in each result)"),
) -> None:
    """Evaluate CLIP-style models on an aobench dataset or on standard benchmarks (CLIP_benchmark-shaped results).

    Examples:

        aobench eval runs/shapes-ao --model tiny --out runs/eval

        # two models, the composition and czsl tasks, figures
        aobench eval runs/imagenet-ao --model open_clip:ViT-B-32:laion2b_s34b_b79k --model hf:openai/clip-vit-base-patch32 --out runs/eval --tasks composition,czsl --plot

        aobench eval sugarcrepe --images ~/coco/val2017 --model open_clip:ViT-B-32:openai --out results/

        aobench eval valse --images coco2017=~/coco/val2017 --images visual7w=~/v7w/images --skip-missing --model tiny --out r/

        aobench eval sugarcrepe,valse,aro --annotations ~/benchmarks --images ~/images --model tiny --out r/

        aobench eval suite --model open_clip:ViT-B-32:openai --out results/

        aobench eval --list-models

        aobench eval --list-tasks
    """
    if list_models:
        from aobench.evaluate.models import list_models as _list

        for section, items in _list().items():
            print_line(f"{section}:")
            for item in items:
                print_line(f"  {item}")
        return
    if list_tasks:
        from aobench.evaluate.tasks import list_tasks as _tasks

        table = Table("task", "headline metric", "better", "version", "options", "description")
        for t in _tasks():
            table.add_row(t["name"], t["headline"] or "-", t["direction"], str(t["version"]), ", ".join(t["options"]) or "-", escape(t["description"]))
        stdout.print(table)
        return
    if models_from is not None:
        from aobench.evaluate.models import read_model_list

        model = list(model or []) + read_model_list(models_from)
    if not data or not model or out is None:
        raise AobenchError("aobench eval needs DATA, at least one --model SPEC (or --models-from FILE) and --out DIR (or --list-models, --list-tasks)")
    from aobench.evaluate import evaluate
    from aobench.evaluate.results import Result, chance_key
    from aobench.io import writable_dir

    writable_dir(out)
    run = evaluate(data, model, out, tasks=tasks, templates=templates, device=device, batch_size=batch_size, skip_existing=skip_existing,
                   plot=plot, foils=foils, wise_alphas=wise_alphas, cache_dir=None if no_cache else (cache_dir or "default"),
                   splits=splits.split(",") if splits else None, workers=workers, amp=amp or precision == "amp", shard=shard,
                   options={"czsl_protocol": czsl_protocol}, images=images, annotations=annotations, skip_missing=skip_missing, precision=precision)
    if run.rank:  # the other ranks of a launch: rank 0 reports for all
        if run.failures:
            sys.exit(EXIT_USER_ERROR)
        return
    if run.results:
        table = Table("model", "data", "task", "metric", "value ± stderr", "chance", "images (skipped)")
        for r in map(Result.from_dict, run.results):
            m = r.flat
            key, value = r.headline()
            val = "n/a" if key is None or value is None else f"{value:.4f}"
            se = m.get(f"{key}_stderr") if key else None
            chance = m.get(chance_key(key)) if key else None
            skipped = m.get("n_skipped", m.get("n_missing_examples", 0))
            table.add_row(escape(r.label), escape(r.dataset), r.task, key or "-", val + (f" ± {se:.4f}" if isinstance(se, float) and se == se else ""),
                          _num(chance, 4), f"{m.get('n_images', '?')} ({skipped})")  # fmt: skip
        stdout.print(table)
        from aobench.evaluate.results import headlines

        for h in headlines(map(Result.from_dict, run.results)):
            print_line(f"{h.model}: composition acc1 seen {h.seen:.4f} ± {h.seen_stderr:.4f} (n={h.n_seen}), unusual {h.unusual:.4f} ± {h.unusual_stderr:.4f} "
                       f"(n={h.n_unusual}), gap seen - unusual {h.gap:+.4f} ± {h.gap_stderr:.4f}; chance {h.chance:.4f} (1/{h.n_classes}: ranked among every evaluated pair; ± = stderr)")
    for note in run.notes:
        print_line(f"note: {note}")
    print_line(f"{out}: {len(run.results)} results written, {len(run.existing)} kept (--skip-existing), {len(run.failures)} model(s) failed; {run.csv}"
               + (f" ({run.processes} processes)" if run.processes > 1 else ""))
    for path in run.plots:
        print_line(f"plot: {path}")
    if run.failures:
        for _spec, msg in run.failures:
            err.print(format_error(AobenchError(msg)), markup=False, highlight=False, soft_wrap=True)
        sys.exit(EXIT_USER_ERROR)


benchmarks_app = typer.Typer()  # its help is benchmarks_cmd's docstring (with the Examples)
app.add_typer(benchmarks_app, name="benchmarks")


@benchmarks_app.callback(invoke_without_command=True)
def benchmarks_cmd(
    ctx: typer.Context,
    images: Optional[List[str]] = typer.Option(None, "--images", help="image folder(s) to look in: DIR or SOURCE=DIR (as for `aobench eval`)"),
    annotations: Optional[Path] = typer.Option(None, "--annotations", help="annotation folder to look in (default: the data home)"),
) -> None:
    """List each benchmark: subsets, counts, image sources, licence, where its annotations come from, and what this machine has.

    \b
    Examples:
      aobench benchmarks
      aobench benchmarks --images ~/coco/val2017
      aobench benchmarks get sugarcrepe
      aobench benchmarks get aro --from ~/Downloads/aro
    """
    if ctx.invoked_subcommand is not None:
        return
    from aobench.suite.listing import describe_benchmarks

    for b in describe_benchmarks(annotations, images):
        print_line(f"{b['name']}: {b['description']}")
        uncounted = " (not all counted: files not seen by aobench)" if None in b["counts"].values() else ""
        print_line(f"  subsets: {', '.join(s if n is None else f'{s} ({n:,})' for s, n in b['counts'].items())}; total {b['total']:,}{uncounted}")
        print_line(f"  annotations: {b['annotations']}; licence: {b['licence']}")
        print_line(f"  protocol: {b['protocol']}")
        print_line(f"  here: annotations {b['have_annotations']}; images {b['have_images']}")
        for source, where in b["image_sources"].items():
            print_line(f"  images {source}: {where}")


@benchmarks_app.command("get")
def benchmarks_get_cmd(
    name: str = typer.Argument(..., help="benchmark name (`aobench benchmarks` lists them)"),
    from_dir: Optional[Path] = typer.Option(None, "--from", help="copy from a local checkout or folder holding the published files (offline)"),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="download from a mirror serving the files at the same paths as the source repository"),
) -> None:
    """Put a benchmark's annotation files in the data home ($AOBENCH_DATA/benchmarks/NAME), each checked against its published sha256.

    \b
    Examples:
      aobench benchmarks get sugarcrepe
      aobench benchmarks get valse --from ~/src/VALSE
      aobench benchmarks get winoground          # gated: accept the licence on the Hub and log in first
    """
    from aobench.evaluate.sources import benchmark_source
    from aobench.suite.data import get_benchmark

    res = get_benchmark(benchmark_source(name).spec, from_dir=from_dir, base_url=base_url)
    unverified = f"; {len(res.unverified)} without a published sha256 to check" if res.unverified else ""
    images = "".join(f"; images {s} → {p}" for s, p in res.images.items())
    print_line(f"{res.dest}: {len(res.written)} file(s) written, {len(res.kept)} already there (sha256 checked){unverified}{images}")
    if res.missing:
        print_line(f"not got: {', '.join(res.missing)} — {res.hint}")


@app.command("spectrum")
def spectrum_cmd(
    results: List[Path] = typer.Argument(..., help="result dirs (or JSON files) of `aobench eval` and `clip_benchmark eval`, read recursively"),
    out: Path = typer.Option(..., "--out", help="output dir: spectrum.csv, correlations.json, spectrum.png, dynamics.png"),
    x: Optional[str] = typer.Option(None, "--x", help="recognition metric (a spectrum.csv column, dataset/task/metric); default: mean zero-shot classification acc1, else aobench's object acc1"),
    y: Optional[List[str]] = typer.Option(None, "--y", help="compositionality metric(s), repeatable; default: every compositionality aggregate present"),
    reference: Optional[List[Path]] = typer.Option(None, "--reference", help="published per-checkpoint results CSV (vl_compo's results.csv / individual_results.csv format), repeatable"),
    reference_scale: float = typer.Option(100.0, "--reference-scale", help="divide --reference values by this (vl_compo publishes percentages: 100)"),
    fine_tuned: Optional[List[str]] = typer.Option(None, "--fine-tuned", help="glob over spec or pretrained: mark these models fine-tuned (repeatable)"),
    pre_trained: Optional[List[str]] = typer.Option(None, "--pre-trained", help="glob over spec or pretrained: mark these models pre-trained (repeatable)"),
    seed: int = typer.Option(0, "--seed", help="seed of the bootstrap and the permutation test"),
    bootstrap: int = typer.Option(2000, "--bootstrap", help="bootstrap resamples of models for the CIs (0: none)"),
    permutations: int = typer.Option(9999, "--permutations", help="Monte Carlo permutations for p-values beyond 8 models (up to 8: exact)"),
) -> None:
    """Compositionality against recognition over many models (and checkpoint series over training steps).

    Reads aobench and CLIP_benchmark result JSONs, joins them by (model, pretrained), and writes
    spectrum.csv (a row per model), correlations.json (Pearson and Spearman with bootstrap CIs and
    permutation p-values), spectrum.png and dynamics.png into --out.

    \b
    Examples:
      aobench spectrum results/aobench results/clip_benchmark --out spectrum/
      aobench spectrum results/ --out spectrum/ --reference vl_compo/individual_results.csv
      aobench spectrum results/ --out spectrum/ --y sugar_crepe/image_caption_selection/acc --fine-tuned '*negclip*'
    """
    from aobench.spectrum.run import make_spectrum

    run = make_spectrum(results, out, x=x, y=y, reference=reference, reference_scale=reference_scale, fine_tuned=fine_tuned or (),
                        pre_trained=pre_trained or (), seed=seed, bootstrap=bootstrap, permutations=permutations)  # fmt: skip
    table = Table("compositionality (y)", "recognition (x)", "n", "Pearson r [CI]", "Spearman ρ [CI]", "p (r)", "p (ρ)", title=f"{run.n_models} models, {run.n_results} results")
    for p in run.pairs:
        if p["x"] != run.x:
            continue
        cells = []
        for m in ("pearson", "spearman"):
            r, ci = p[m]["r"], p[m]["ci"]
            cells.append("n/a" if r is None else f"{r:+.3f}" + (f" [{ci[0]:+.2f}, {ci[1]:+.2f}]" if ci else ""))
        pv = [_num(p[m]["p_value"], 4) for m in ("pearson", "spearman")]
        table.add_row(escape(p["y"]), escape(p["x"]), str(p["n"]), *cells, *pv)
    stdout.print(table)
    for note in run.notes:
        print_line(f"note: {note}")
    print_line(f"{out}: {run.csv.name}, {run.correlations.name}" + "".join(f", {f.name}" for f in run.figures) + f" (x = {run.x}; correlations with every recognition metric in {run.correlations.name})")


def _fail(line: str, code: int = EXIT_USER_ERROR) -> None:
    err.print(line, markup=False, highlight=False, soft_wrap=True)
    sys.exit(code)


def main(argv: Optional[List[str]] = None) -> None:
    """Console-script entry point: exit 0 on success, 2 with one line on a user error, 130 on Ctrl-C and 143 on SIGTERM (one line each)."""
    import signal
    import threading

    args = list(sys.argv[1:] if argv is None else argv)
    previous = None
    _signals["term"] = False
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        _main(args, argv)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _main(args: list[str], argv: Optional[List[str]]) -> None:
    # the root options (--version, -v, -q) take no value: the command is the first other word
    if next((a for a in args if not a.startswith("-")), None) in ("build", "eval"):
        from aobench.launch import accelerate_cpu_processes, relaunch

        n = accelerate_cpu_processes()
        if n:
            print(f"accelerate launch --cpu runs one process without mpirun: aobench starts its {n} ranks itself (torch.distributed.run, gloo)", file=sys.stderr)
            sys.exit(relaunch(args, n))
    try:
        code = app(args=argv, standalone_mode=False)
    except AobenchError as exc:
        _fail(format_error(exc))
    except KeyboardInterrupt:
        _interrupted()
    except BrokenPipeError:  # `aobench ... | head`: the reader left; nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except OSError as exc:  # a path that cannot be read or written (read-only, full disk, a file where a folder goes)
        from aobench.io import os_error_line

        _fail(f"error: {os_error_line(exc)}")
    except Exception as exc:  # click's usage errors arrive here in non-standalone mode (typer vendors click)
        kind = type(exc).__name__
        if hasattr(exc, "format_message"):
            _fail(f"error: {exc.format_message()}")
        if kind == "Exit":
            sys.exit(getattr(exc, "exit_code", 0))
        if kind == "Abort":
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, EOFError):  # typer turns EOFError (e.g. a truncated stream) into Abort: not an interrupt
                _fail(format_error(AobenchError(f"unexpected end of input ({cause or 'EOFError'})")))
            _interrupted()
        raise
    # typer's standalone-free mode returns Ctrl-C (KeyboardInterrupt) as exit code 130 instead of raising it
    if code == EXIT_INTERRUPTED:
        _interrupted()
    if isinstance(code, int) and code:
        sys.exit(code)


if __name__ == "__main__":
    main()
