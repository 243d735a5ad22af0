"""The people API: who was found, their faces (with why each is theirs), and
what the user says of them (name, merge, not this person, hide, forget)."""
from __future__ import annotations

import io
from typing import Annotated

from fastapi import APIRouter, HTTPException
from fastapi import Path as P
from fastapi import Query as Q
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from mediasearch.indexer.media.images import load_image
from mediasearch.indexer.media.thumbs import thumbnail
from mediasearch.indexer.people import explain
from mediasearch.store.errors import MediaDecodeError

from .state import StateDep, errors

router = APIRouter()
Id = Annotated[int, P(ge=1, le=2**62)]
CROP_MARGIN = 0.35  # share of the box added on each side: the face with some hair and chin


class NameBody(BaseModel):
    name: str = Field("", max_length=200)


class MergeBody(BaseModel):
    other: int = Field(ge=1, le=2**62)


class HideBody(BaseModel):
    hidden: bool = True


def _face_dict(f: dict) -> dict:
    return {**f, "crop": f"/face/{f['id']}?size=160", "why": explain(f["how"], f["person"])}


@router.get("/api/people", summary="The people found, named first, with a face each")
def api_people(s: StateDep, hidden: bool = False):
    cat = s.lib.catalog
    out = []
    for p in cat.people(include_hidden=hidden):
        best = cat.faces_of(p["id"], limit=1)
        out.append({**p, "cover": f"/face/{best[0]['id']}?size=160" if best else None})
    return {"people": out}


@router.get("/api/people/{person_id}/faces", summary="One person's faces, best first, with why each is theirs")
def api_person_faces(s: StateDep, person_id: Id, limit: Annotated[int, Q(ge=1, le=1000)] = 200):
    return {"faces": [_face_dict(f) for f in s.lib.catalog.faces_of(person_id, limit=limit)]}


@router.post("/api/people/{person_id}/name", summary="Name a person (an empty name takes it away)",
             responses=errors(404))
def api_name(s: StateDep, person_id: Id, body: NameBody):
    s.lib.catalog.name_person(person_id, body.name)
    return {"ok": True}


@router.post("/api/people/{person_id}/merge", summary="The same person found twice: the other's faces join this one",
             responses=errors(404))
def api_merge(s: StateDep, person_id: Id, body: MergeBody):
    s.lib.catalog.merge_people(person_id, body.other)
    return {"ok": True}


@router.post("/api/people/{person_id}/unmerge", summary="Undo merges into a person: the merged people come back",
             responses=errors(404))
def api_unmerge(s: StateDep, person_id: Id):
    return {"people": s.lib.catalog.unmerge(person_id)}


@router.post("/api/people/{person_id}/hide", summary="Hide a person from the people view (or show again)",
             responses=errors(404))
def api_hide(s: StateDep, person_id: Id, body: HideBody):
    s.lib.catalog.hide_person(person_id, body.hidden)
    return {"ok": True}


@router.delete("/api/people/{person_id}", summary="Forget a person (its faces are left alone)",
               responses=errors(404))
def api_forget(s: StateDep, person_id: Id):
    s.lib.catalog.forget_person(person_id)
    return {"ok": True}


@router.post("/api/faces/{face_id}/out", summary="Not this person: the face leaves its person for good",
             responses=errors(404))
def api_take_out(s: StateDep, face_id: Id):
    return {"left": s.lib.catalog.take_out(face_id)}


@router.get("/face/{face_id}", summary="A face, cropped from its picture or video moment",
            responses={200: {"content": {"image/jpeg": {}}, "description": "The face"}, **errors(404, 422)})
async def face_crop(s: StateDep, face_id: Id, size: Annotated[int, Q(ge=32, le=512)] = 160):
    found = s.lib.catalog.faces_of(face_ids=[face_id])
    if not found:
        raise HTTPException(404, f"no face {face_id}")
    try:
        data = await run_in_threadpool(_crop, s, found[0], size)
    except MediaDecodeError as e:
        raise HTTPException(422, f"no face picture: {e}") from e
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


def _crop(s, face: dict, size: int) -> bytes:
    from PIL import Image

    m = s.service.media(face["media_id"])
    path = s.service.file_of(m)
    if face["t"] is None:
        picture = load_image(path, s.settings.max_image_pixels, max_side=1600).image
    else:
        picture = Image.open(thumbnail(s.settings.home, m, 512, face["t"], s.settings.max_image_pixels))
    x, y, w, h = face["box"]
    W, H = picture.size
    box = (max(0, (x - CROP_MARGIN * w) * W), max(0, (y - CROP_MARGIN * h) * H),
           min(W, (x + w + CROP_MARGIN * w) * W), min(H, (y + h + CROP_MARGIN * h) * H))
    crop = picture.convert("RGB").crop(tuple(round(v) for v in box))
    crop.thumbnail((size, size))
    buf = io.BytesIO()
    crop.save(buf, "JPEG", quality=88)
    return buf.getvalue()
