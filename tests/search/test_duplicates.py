"""Issue 16: near-duplicates grouped, with a keeper and a reason; nothing
deleted. Real generated pictures, the real pipeline, the fake model's
vectors (the signature does the work for copies)."""
import json

from PIL import Image, ImageEnhance, ImageOps

from ..media_factory import pattern


def _family(folder):
    src = Image.open(pattern(folder / "IMG_1000.png", 7, size=(240, 180))).convert("RGB")
    src.save(folder / "IMG_1000 copy.jpg", quality=30)
    src.resize((120, 90)).save(folder / "IMG_1000_small.png")
    src.rotate(90, expand=True).save(folder / "IMG_1000 (1).png")
    ImageOps.mirror(src).save(folder / "mirrored.png")
    ImageEnhance.Brightness(src).enhance(1.2).save(folder / "brighter.png")
    return src


def test_copies_are_grouped_with_a_keeper_and_nothing_is_deleted(cli, tmp_path):
    folder = tmp_path / "pics"
    folder.mkdir()
    _family(folder)
    for i in range(6):
        pattern(folder / f"other_{i}.png", 100 + i, size=(240, 180))
    before = sorted(p.name for p in folder.iterdir())
    data = tmp_path / "d"
    assert cli("index", folder, "--data-dir", data, "--model", "fake")[0] == 0
    code, out, err = cli("duplicates", "--data-dir", data, "--json")
    assert code == 0, err
    groups = json.loads(out)["groups"]
    assert len(groups) == 1
    items = groups[0]["items"]
    assert sorted(i["path"].rsplit("/", 1)[1] for i in items) == sorted(
        ["IMG_1000.png", "IMG_1000 copy.jpg", "IMG_1000_small.png", "IMG_1000 (1).png", "mirrored.png",
         "brighter.png"])
    assert {"path", "media_id", "kind", "width", "height", "taken_at", "keep"} <= set(items[0])
    # The keeper: the largest, then the name that is not a copy's.
    assert [i["path"].rsplit("/", 1)[1] for i in items if i["keep"]] == ["IMG_1000.png"]
    assert groups[0]["reason"]["signature_bits"] <= 22 and "same picture" in groups[0]["reason"]["how"]
    code, out, err = cli("duplicates", "--data-dir", data)
    assert "keep" in out and "nothing was deleted" in err
    assert sorted(p.name for p in folder.iterdir()) == before


def test_the_api_lists_the_same_groups(settings, tmp_path):
    from fastapi.testclient import TestClient

    from mediasearch.indexer.library import Library
    from mediasearch.indexer.pipeline import Indexer
    from mediasearch.web.app import create_app

    folder = tmp_path / "pics"
    folder.mkdir()
    _family(folder)
    lib = Library(settings)
    Indexer(lib).run([folder])
    lib.close()
    with TestClient(create_app(settings, allowed_hosts=["testserver"])) as client:
        body = client.get("/api/duplicates").json()
    assert len(body["groups"]) == 1 and len(body["groups"][0]["items"]) == 6
    assert all(i["thumb"].startswith("/thumb/") for i in body["groups"][0]["items"])


def test_flat_pictures_are_not_copies_of_each_other(cli, tmp_path):
    """A blank page, a black frame and a red square have no structure: their
    hashes would all be alike (seen in CI: solid colours grouped)."""
    from ..media_factory import solid

    folder = tmp_path / "pics"
    folder.mkdir()
    for name, rgb in (("black.png", (0, 0, 0)), ("white.jpg", (255, 255, 255)), ("red.png", (230, 20, 20))):
        solid(folder / name, rgb, size=(200, 150))
    for i in range(3):
        pattern(folder / f"p{i}.png", 50 + i, size=(200, 150))
    data = tmp_path / "d"
    assert cli("index", folder, "--data-dir", data, "--model", "fake")[0] == 0
    code, out, err = cli("duplicates", "--data-dir", data, "--json")
    assert code == 0 and json.loads(out)["groups"] == []


def _scene(seed, size=(160, 96)):
    """A picture with structure (blocks of colour), as a video frame."""
    import numpy as np

    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (6, 10, 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(small).resize(size, Image.NEAREST))


def test_videos_are_compared_by_their_moments_and_black_openings_do_not_count(cli, tmp_path):
    """A clip and its re-encoded, smaller copy are grouped; another clip that
    opens with the same 3 s of black is not, nor are two all-black videos."""
    from ..media_factory import video

    folder = tmp_path / "videos"
    folder.mkdir()
    black = (0, 0, 0)
    trip = [(3.0, black), (3.0, _scene(1)), (3.0, _scene(2)), (3.0, _scene(3))]
    video(folder / "trip.mp4", trip, size=(160, 96))
    video(folder / "trip (whatsapp).webm", trip, size=(128, 80), codec="libvpx")  # re-encoded, smaller
    video(folder / "party.mp4", [(3.0, black), (3.0, _scene(7)), (3.0, _scene(8)), (3.0, _scene(9))], size=(160, 96))
    video(folder / "dark1.mp4", [(12.0, black)], size=(160, 96))
    video(folder / "dark2.mp4", [(12.0, (3, 3, 3))], size=(160, 96))
    data = tmp_path / "d"
    assert cli("index", folder, "--data-dir", data, "--model", "fake")[0] == 0
    code, out, err = cli("duplicates", "--data-dir", data, "--json")
    assert code == 0, err
    groups = json.loads(out)["groups"]
    assert len(groups) == 1, groups
    names = sorted(i["path"].rsplit("/", 1)[1] for i in groups[0]["items"])
    assert names == ["trip (whatsapp).webm", "trip.mp4"]
    assert all(i["kind"] == "video" for i in groups[0]["items"])
    assert [i["path"].rsplit("/", 1)[1] for i in groups[0]["items"] if i["keep"]] == ["trip.mp4"]
    assert "same video" in groups[0]["reason"]["how"] and groups[0]["reason"]["moments_matched"].endswith("/3")


def test_new_copies_are_noticed_while_indexing(cli, tmp_path):
    """A copy arriving later is named in the index run's report (a lookup per
    new file), with the picture it copies."""
    folder = tmp_path / "pics"
    folder.mkdir()
    src = Image.open(pattern(folder / "IMG_2000.png", 11, size=(240, 180))).convert("RGB")
    for i in range(4):
        pattern(folder / f"other_{i}.png", 200 + i, size=(240, 180))
    data = tmp_path / "d"
    code, out, err = cli("index", folder, "--data-dir", data, "--model", "fake", "--json")
    assert code == 0 and json.loads(out)["near_copies"] == []
    src.rotate(90, expand=True).save(folder / "IMG_2000 (1).jpg", quality=90)  # a turned, recompressed copy
    pattern(folder / "new_photo.png", 300, size=(240, 180))
    code, out, err = cli("index", folder, "--data-dir", data, "--model", "fake", "--json")
    copies = json.loads(out)["near_copies"]
    assert [(c["path"].rsplit("/", 1)[1], c["like"].rsplit("/", 1)[1]) for c in copies] == [
        ("IMG_2000 (1).jpg", "IMG_2000.png")]
    (folder / "IMG_2000 (2).jpg").write_bytes((folder / "IMG_2000 (1).jpg").read_bytes())
    code, out, err = cli("index", folder, "--data-dir", data, "--model", "fake")
    assert "look like copies" not in err  # byte-identical: counted as a duplicate, not re-checked


def test_one_pair_rule_both_ways():
    """Issue 26.2: the index-time check measured one direction only (10 bits
    here), `duplicates` both (8): one rule, the least of both ways."""
    import numpy as np

    from mediasearch.indexer.media.signature import close_pairs, pair_distance

    rng = np.random.default_rng(3)

    def flip(h, n):
        return np.uint64(int(h) ^ sum(1 << int(b) for b in rng.choice(63, n, replace=False)))

    a = rng.integers(0, 2**63, 8, dtype=np.uint64)
    b = rng.integers(0, 2**63, 8, dtype=np.uint64)
    b[3] = flip(a[0], 10)   # a's upright is 10 bits from one of b's orientations
    a[5] = flip(b[0], 8)    # b's upright is 8 bits from one of a's
    sigs = np.stack([a, b])
    assert pair_distance(a, b) == pair_distance(b, a) == 8
    assert close_pairs(sigs, 8) == {(0, 1): 8}
    assert close_pairs(sigs, 8, involving=[1]) == close_pairs(sigs, 8, involving=[0]) == {(0, 1): 8}


def test_copies_made_in_one_run_are_named_against_each_other(cli, tmp_path):
    """Issue 26.9: on a first run every copy is new; the report names each
    one against the same original and says they are new together, not
    'indexed before'."""
    folder = tmp_path / "pics"
    folder.mkdir()
    _family(folder)
    for i in range(3):
        pattern(folder / f"other_{i}.png", 400 + i, size=(240, 180))
    code, out, err = cli("index", folder, "--data-dir", tmp_path / "d", "--model", "fake", "--json")
    copies = json.loads(out)["near_copies"]
    names = sorted(c["path"].rsplit("/", 1)[1] for c in copies)
    assert len(names) == 5 and not any(n.startswith("other") for n in names)
    assert len({c["like"] for c in copies}) == 1 and not any(c["earlier"] for c in copies)
    (folder / "late copy.jpg").write_bytes(b"")
    Image.open(folder / "IMG_1000.png").convert("RGB").save(folder / "late copy.jpg", quality=60)
    code, out, err = cli("index", folder, "--data-dir", tmp_path / "d", "--model", "fake")
    assert "1 new picture looks like a copy: 1 of pictures indexed before" in err


def _shots_and_copies(folder):
    """Two shots of one scene (the frame moved 5%: signatures 12-14 bits apart,
    the model sees the same), and a 2x enlarged copy of another photo with
    a banner added. Photos from scikit-image's data (public domain / BSD)."""
    from PIL import ImageDraw
    from skimage import data

    scene = Image.fromarray(data.astronaut()).convert("RGB").resize((500, 375))
    scene.crop((0, 0, 475, 375)).save(folder / "shot_1.jpg", quality=95)
    scene.crop((25, 0, 500, 375)).save(folder / "shot_2.jpg", quality=95)
    cat = Image.fromarray(data.chelsea()).convert("RGB").resize((500, 375))
    cat.save(folder / "chelsea.jpg", quality=95)
    up = cat.resize((1000, 750), Image.BICUBIC)
    shared = Image.new("RGB", (1000, 840), "white")
    shared.paste(up, (0, 0))
    ImageDraw.Draw(shared).text((20, 770), "Happy holidays 2026!", fill="black")
    shared.save(folder / "chelsea_shared.jpg", quality=95)


def test_two_shots_of_one_scene_are_similar_never_the_same_picture(cli, tmp_path):
    """Issue 28.4: a near pair (12-14 bits, cosine >= 0.98) was grouped as
    "the same picture, cropped or edited" though neither photo holds the
    other: deleting one as suggested loses a photo. It is "similar", with no
    keeper and nothing offered for clean-up."""
    folder = tmp_path / "pics"
    folder.mkdir()
    _shots_and_copies(folder)
    data = tmp_path / "d"
    assert cli("index", folder, "--data-dir", data, "--model", "fake")[0] == 0
    code, out, err = cli("duplicates", "--data-dir", data, "--json")
    groups = json.loads(out)["groups"]
    shots = [g for g in groups if {"shot_1.jpg", "shot_2.jpg"} <= {i["path"].rsplit("/", 1)[1] for i in g["items"]}]
    assert len(shots) == 1 and shots[0]["reason"]["similar"] is True, groups
    assert not any(i["keep"] for i in shots[0]["items"])
    code, out, err = cli("duplicates", "--data-dir", data)
    assert code == 0 and "similar pictures, not the same picture: keep both" in out
    assert "0 files that could go" in err or "similar pictures to keep" in err


def test_the_keeper_is_the_original_not_an_enlarged_copy():
    """Issue 28.4: an upscaled copy with a text banner was suggested as the
    keeper over its 500x375 original (the larger picture won)."""
    import tempfile
    from pathlib import Path

    from mediasearch.search.duplicates import keeper

    with tempfile.TemporaryDirectory() as d:
        _shots_and_copies(Path(d))
        items = [{"path": str(Path(d) / name), "width": w, "height": h, "taken_at": None, "mtime": 0}
                 for name, w, h in (("chelsea_shared.jpg", 1000, 840), ("chelsea.jpg", 500, 375))]
        assert items[keeper(items)]["path"].endswith("chelsea.jpg")
        natural = [{"path": str(Path(d) / "chelsea.jpg"), "width": 500, "height": 375, "taken_at": None, "mtime": 0}]
        Image.open(natural[0]["path"]).resize((250, 188)).save(Path(d) / "small.jpg", quality=95)
        natural.append({"path": str(Path(d) / "small.jpg"), "width": 250, "height": 188, "taken_at": None, "mtime": 0})
        assert keeper(natural) == 0  # a real larger original still wins over its reduced copy
