"""`mediasearch eval coco` and `mediasearch eval pairs`: Recall@K through the
real pipeline, beside exact search and the published numbers."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Annotated

import typer

from mediasearch.search.datasets import EvalSet, load_coco, load_pairs_csv
from mediasearch.search.evaluate import evaluate, format_table, plot_curves

from .common import DataDirOpt, JsonOpt, ModelOpt, emit_json, say, settings_from

eval_app = typer.Typer(no_args_is_help=True, help="Measure Recall@K through the real pipeline.")

OutOpt = Annotated[Path | None, typer.Option("--out", help="Folder for results.json and recall.png (default: the evaluation data dir).")]
LimitOpt = Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N images (a quick run).")]
FreshOpt = Annotated[bool, typer.Option("--fresh", help="Re-embed everything instead of reusing the evaluation index.")]
RerankOpt = Annotated[bool, typer.Option("--rerank", help="Also report Recall@K after reranking with captions (MEDIASEARCH_CAPTIONER), and its cost per query.")]


def _run(data: EvalSet, data_dir: Path | None, model: str | None, out: Path | None, fresh: bool,
         as_json: bool, rerank: bool = False) -> None:
    settings = settings_from(data_dir, model)
    # Evaluation never touches the person's own index: a data dir of its own per model.
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", settings.model)
    settings.home = settings.home / "eval" / slug
    if data.missing:
        say(f"{len(data.missing)} listed images are not on disk (first: {data.missing[0]}); evaluating the rest")
    say(f"evaluating {len(data.images)} images in {settings.home}")
    captioner = None
    if rerank:
        from mediasearch.indexer.captioners import resolve_captioner
        captioner = resolve_captioner(settings.captioner, settings.device)
    from .progress import progress_bar

    bar, update = progress_bar(sys.stderr.isatty() or not as_json)
    stages = {"index": ("indexing images", "files"), "query": ("scoring queries", "queries")}

    def progress(stage, p) -> None:
        label, unit = stages.get(stage, (stage, "items"))
        update(p, label, unit)

    if bar is not None:
        with bar:
            result = evaluate(data, settings, model, fresh=fresh, progress=progress, captioner=captioner)
    else:
        result = evaluate(data, settings, model, fresh=fresh, progress=progress, captioner=captioner)
    out = out or settings.home
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(result.to_dict(), indent=2))
    plot_curves(result, out / "recall.png")
    if as_json:
        emit_json(result.to_dict())
    else:
        typer.echo(format_table(result))
        say(f"wrote {out / 'results.json'} and {out / 'recall.png'}")


@eval_app.command("coco")
def coco_command(
    captions: Annotated[Path, typer.Argument(help="captions_val2014.json, captions_val2017.json, dataset_coco.json or coco_karpathy_test.json")],
    images: Annotated[Path, typer.Option("--images", help="Folder with the COCO images.")],
    split: Annotated[str, typer.Option("--split", help="Karpathy split to use.")] = "test",
    limit: LimitOpt = None, data_dir: DataDirOpt = None, model: ModelOpt = None, out: OutOpt = None,
    fresh: FreshOpt = False, rerank: RerankOpt = False, as_json: JsonOpt = False,
) -> None:
    """Text->image and image->text Recall@1/5/10 on COCO captions."""
    _run(load_coco(captions, images, split).limit(limit), data_dir, model, out, fresh, as_json, rerank)


@eval_app.command("pairs")
def pairs_command(
    csv_file: Annotated[Path, typer.Option("--csv", help="CSV of image path, caption (one row per caption).")],
    images: Annotated[Path | None, typer.Option("--images", help="Base folder for relative image paths (default: the CSV's folder).")] = None,
    limit: LimitOpt = None, data_dir: DataDirOpt = None, model: ModelOpt = None, out: OutOpt = None,
    fresh: FreshOpt = False, rerank: RerankOpt = False, as_json: JsonOpt = False,
) -> None:
    """The same evaluation on your own labelled photos."""
    _run(load_pairs_csv(csv_file, images).limit(limit), data_dir, model, out, fresh, as_json, rerank)


def register(app: typer.Typer) -> None:
    app.add_typer(eval_app, name="eval")
