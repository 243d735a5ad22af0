"""`mediasearch search` and `mediasearch status`."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from mediasearch.store.errors import QueryError
from mediasearch.store.paths import one_line

from .answer_text import show
from .common import (
    DataDirOpt,
    JsonOpt,
    ModelOpt,
    emit_json,
    fmt_bytes,
    require_index,
    say,
    settings_from,
)
from .quick import order_of


def search_command(
    terms: Annotated[list[str] | None, typer.Argument(
        help='What to find: text ("a dog on the beach"), weighted ("beach^2"), or an image file.',
        show_default=False)] = None,
    image: Annotated[list[Path] | None, typer.Option("--image", "-i", help="Query by example image (repeatable).")] = None,
    not_: Annotated[list[str] | None, typer.Option("--not", "-n", help="Subtract this text from the query (repeatable).")] = None,
    k: Annotated[int, typer.Option("-k", "--top", min=1, max=10_000, help="How many results.")] = 10,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Skip this many results (paging).")] = 0,
    kind: Annotated[list[str] | None, typer.Option("--kind", help="image | video | audio (repeatable).")] = None,
    under: Annotated[list[Path] | None, typer.Option("--under", help="Only files below this folder (repeatable).")] = None,
    place: Annotated[str | None, typer.Option("--place", help="Only photos and videos taken at this place (a town, region or country).", show_default=False)] = None,
    rerank: Annotated[bool, typer.Option("--rerank", help="Rerank the top results with image captions (MEDIASEARCH_CAPTIONER).")] = False,
    lexical: Annotated[bool, typer.Option("--lexical/--no-lexical", help="Fuse word matches (names, folders, tags, transcripts, captions) with the vector ranking.")] = True,
    like: Annotated[list[int] | None, typer.Option("--like", help="More like this indexed file (media id; repeatable).")] = None,
    unlike: Annotated[list[int] | None, typer.Option("--unlike", help="Less like this indexed file (media id; repeatable).")] = None,
    show_all: Annotated[bool, typer.Option("--all", help="Show weaker matches too (below the calibrated cut-off).")] = False,
    plain: Annotated[list[str] | None, typer.Option("--plain", help="Leave this reading of the text as words: date | place | kind | not | exact | all (repeatable).")] = None,
    literal: Annotated[bool, typer.Option("--literal", help="Read nothing from the text: search for it as typed (= --plain all).")] = False,
    by: Annotated[str, typer.Option("--by", help="relevance | newest (or date) | oldest: by date, the matches only, with day headers.")] = "relevance",
    data_dir: DataDirOpt = None,
    model: ModelOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Search the index by text and/or example images."""
    order = order_of(by)
    from mediasearch.indexer.library import Library
    from mediasearch.search.service import SearchRequest, SearchService
    from mediasearch.web.envelope import answer_dict

    settings = settings_from(data_dir, model)
    require_index(settings)
    req = SearchRequest(texts=list(terms or []), nots=list(not_ or []), files=[], k=k, offset=offset,
                        kinds=list(kind or []), under=[str(u) for u in under or []], place=place,
                        lexical=lexical, rerank=rerank, texts_may_be_files=True,
                        like=list(like or []), unlike=list(unlike or []), all=show_all,
                        plain=["all"] if literal else list(plain or []), order=order)
    for f in image or []:
        if not Path(f).expanduser().is_file():
            raise QueryError(f"query file not found: {f}")
        req.files.append(Path(f).expanduser().resolve())
    lib = Library(settings, model)
    try:
        if lib.catalog.model_identity() is None:
            raise QueryError(f"the index in {settings.home} is empty: run `mediasearch index FOLDER` first")
        captioner = None
        if rerank:
            from mediasearch.indexer.captioners import resolve_captioner

            captioner = lambda: resolve_captioner(settings.captioner, settings.device)  # noqa: E731
        answer = SearchService(lib, captioner=captioner, say=say).search(req)
    finally:
        lib.close()
    if answer.reranked:
        say(f"reranked {answer.reranked['candidates']} results with {settings.captioner} captions "
            f"({answer.reranked['captioned_now']} made now) in {answer.reranked['seconds']:.2f}s")
    show(answer_dict(answer), show_all, as_json)


def status_command(data_dir: DataDirOpt = None, as_json: JsonOpt = False,
                   failures: Annotated[int, typer.Option("--failures", help="How many failed files to list.")] = 20) -> None:
    """What is indexed: model, counts by kind and status, index size, failures, the watcher."""
    settings = settings_from(data_dir)
    if not settings.catalog_url and not settings.home.exists():
        require_index(settings)  # says the data dir does not exist (exit 3)
    from mediasearch.search.status import gather_status

    info = gather_status(settings, failures)
    if as_json:
        emit_json(info)
        return
    typer.echo(f"data dir : {info['data_dir']}")
    model = info["model"]
    typer.echo(f"model    : {model['spec'] + ' (' + str(model['dim']) + '-d)' if model else 'none yet'}"
               + (f", run by {info['runtime']}" if info.get("runtime") else "")
               + (f" on {info['device']}" if info.get("runtime") and info.get("device") else ""))
    for status, kinds in sorted(info["media"].items()):
        parts = ", ".join(f"{n} {kd}" for kd, n in sorted(kinds.items()))
        typer.echo(f"{status:<9}: {parts}")
    typer.echo(f"vectors  : {info['segments']} ({fmt_bytes(info['index_bytes'])} index, "
               f"{fmt_bytes(info['catalog_bytes'])} catalog)")
    idx = info.get("index")
    if idx:
        recall = idx["params"].get("recall_at_10")
        typer.echo(f"index    : {idx['type']}" + (f", recall@10 {recall:.3f} vs exact" if recall is not None else "")
                   + "".join(f", {k} {v}" for k, v in idx["params"].items() if k in ("efSearch", "nprobe", "nlist", "m"))
                   + f", on {idx['device']}"
                   + ("" if idx["fresh"] else " (stale: rebuilt on next use)"))
    for root in info["roots"]:
        typer.echo(f"root     : {root}")
    w = info["watcher"]
    if w:
        running = "running" if w["running"] else "not running (last state)"
        typer.echo(f"watcher  : {running}, pid {w.get('pid')}, mode {w.get('mode')}"
                   f"{' (' + w['mode_reason'] + ')' if w.get('mode_reason') else ''}, queue {w.get('queue', 0)}")
        if w.get("last_reconcile"):
            typer.echo(f"           last reconciliation {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(w['last_reconcile']))}")
        for e in w.get("errors", [])[-5:]:
            typer.echo(f"           error: {e}")
    if info["failures"]:
        typer.echo("failed files:")
        for f in info["failures"]:
            typer.echo(one_line(f"  {f['path']}: {f['reason']}"))
    if info.get("incomplete"):
        typer.echo("indexed with a problem:")
        for f in info["incomplete"]:
            typer.echo(one_line(f"  {f['path']}: {f['reason']}"))
    skipped = info.get("skipped") or {}
    if skipped.get("count"):
        typer.echo(f"skipped  : {skipped['count']} not regular files (FIFOs, sockets, links not followed)")
        for sp in skipped.get("examples", [])[:5]:
            typer.echo(one_line(f"  {sp['path']}: {sp['reason']}"))


def caption_command(
    captioner: Annotated[str | None, typer.Option("--captioner", envvar="MEDIASEARCH_CAPTIONER", help="llava | llava:MODEL_OR_PATH | image-to-text:MODEL_OR_PATH")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="At most this many pictures.")] = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Caption indexed pictures and video keyframes that have no caption yet
    (a background job: run it beside the indexer; captions are made once)."""
    from mediasearch.indexer.captioners import resolve_captioner
    from mediasearch.indexer.captioning import caption_missing
    from mediasearch.store.catalog import Catalog

    settings = settings_from(data_dir)
    cap = resolve_captioner(captioner or settings.captioner, settings.device)
    catalog = Catalog(settings.catalog_target)
    try:
        n = caption_missing(catalog, settings.home, cap, settings.max_image_pixels, limit,
                            progress=lambda d, t: say(f"captioned {d}/{t}") if d % 50 == 0 or d == t else None)
    finally:
        catalog.close()
    say(f"{n} captions made with {cap.name}")


def duplicates_command(data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """List groups of near-identical pictures (recompressed, resized, rotated,
    mirrored, cropped copies), each with a suggested keeper and why they were
    grouped. Nothing is deleted: that stays your own action."""
    from mediasearch.indexer.library import Library
    from mediasearch.search.service import SearchService
    from mediasearch.web.envelope import duplicates_dict

    settings = settings_from(data_dir)
    require_index(settings)
    lib = Library(settings)
    try:
        groups = SearchService(lib).duplicates()
    finally:
        lib.close()
    if as_json:
        emit_json({"groups": duplicates_dict(groups)})  # the API's shape
        return
    if not groups:
        say("no near-duplicates found")
        return
    for n, g in enumerate(groups, 1):
        r = g["reason"]
        typer.echo(f"group {n}: {len(g['items'])} files, {r['how']} ({_evidence(r)})")
        for item in g["items"]:
            size = f"{item['width']}x{item['height']}" if item["width"] else "?"
            typer.echo(one_line(f"  {'keep' if item['keep'] else '    '}  {size:>11}  {item['path']}"))
    same = [g for g in groups if not g["reason"].get("similar")]
    say(f"{len(same)} groups of the same picture, {sum(len(g['items']) - 1 for g in same)} files that could go"
        + (f"; {len(groups) - len(same)} groups of similar pictures to keep" if len(groups) > len(same) else "")
        + " (nothing was deleted)")


def _evidence(r: dict) -> str:
    """What joined a group: signature bits for pictures, moments for videos."""
    parts = ([f"signature within {r['signature_bits']} bits"] if "signature_bits" in r else []) + (
        [f"{r['moments_matched']} moments matched"] if "moments_matched" in r else []) + (
        [f"cosine >= {r['cosine']:.3f}"] if r.get("cosine") else [])
    return ", ".join(parts)


def register(app: typer.Typer) -> None:
    app.command("search")(search_command)
    app.command("duplicates")(duplicates_command)
    app.command("caption")(caption_command)
    app.command("status")(status_command)
