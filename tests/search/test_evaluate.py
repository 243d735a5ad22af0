"""End to end: a small generated image-caption set through the real pipeline."""
import json

import pytest

from mediasearch.search.datasets import EvalSet
from mediasearch.search.evaluate import evaluate

from ..media_factory import solid

COLOURS = {"red": (230, 20, 20), "green": (20, 200, 30), "blue": (20, 30, 220),
           "yellow": (230, 230, 20), "magenta": (220, 20, 220), "cyan": (20, 220, 220)}


@pytest.fixture
def colour_set(tmp_path):
    d = tmp_path / "set"
    d.mkdir()
    s = EvalSet(format="test")
    for name, rgb in COLOURS.items():
        s.add(solid(d / f"{name}.png", rgb), [f"a {name} picture", f"something {name}"])
    return s


def test_fake_model_end_to_end(colour_set, settings):
    r = evaluate(colour_set, settings, "fake")
    assert r.images == 6 and r.captions == 12
    for block in (r.pipeline, r.exact):
        assert block["text_to_image"]["R@1"] == 100.0
        assert block["image_to_text"]["R@1"] == 100.0
    # Reusing the evaluation index embeds nothing new and gives the same numbers.
    again = evaluate(colour_set, settings, "fake")
    assert again.pipeline == r.pipeline


def test_cli_writes_json_and_png(cli, colour_set, tmp_path):
    csv = tmp_path / "pairs.csv"
    csv.write_text("image,caption\n" + "".join(
        f"{p},{c}\n" for p, caps in zip(colour_set.images, colour_set.captions) for c in caps))
    out = tmp_path / "out"
    code, stdout, err = cli("eval", "pairs", "--csv", csv, "--model", "fake", "--data-dir",
                            tmp_path / "d", "--out", out)
    assert code == 0, err
    assert "text to image" in stdout and "exact" in stdout
    res = json.loads((out / "results.json").read_text())
    assert res["pipeline"]["text_to_image"]["R@1"] == 100.0
    assert (out / "recall.png").read_bytes()[:4] == b"\x89PNG"
    # Issue 14.8: eval shows its stages with counts, as index does.
    assert "indexing images" in err and "scoring queries" in err


@pytest.mark.slow
def test_bundled_model_end_to_end(tmp_path, settings):
    from PIL import Image
    from skimage import data

    d = tmp_path / "sk"
    d.mkdir()
    s = EvalSet(format="skimage")
    pics = {"chelsea": (data.chelsea, ["a cat", "a tabby cat lying down"]),
            "coffee": (data.coffee, ["a cup of coffee", "espresso on a saucer"]),
            "rocket": (data.rocket, ["a rocket on the launch pad", "a space shuttle launch"])}
    for name, (fn, caps) in pics.items():
        Image.fromarray(fn()).save(d / f"{name}.jpg")
        s.add(d / f"{name}.jpg", caps)
    r = evaluate(s, settings, "bundled")
    assert r.pipeline["text_to_image"]["R@1"] >= 80
    assert r.pipeline["text_to_image"] == r.exact["text_to_image"] | {
        "mean_rank": None, "median_rank": r.pipeline["text_to_image"]["median_rank"]}


def test_coco_json_through_the_installed_command_with_stderr_not_a_terminal(colour_set, tmp_path):
    """The COCO script as people run it (`--json`, stderr to a file or a pipe):
    it printed a TypeError (issue 26.1). An image that fails to index is left
    out of both directions and counted, never scored as found (26.5b)."""
    import subprocess
    import sys

    folder = colour_set.images[0].parent
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    images = [p.name for p in colour_set.images] + ["broken.jpg"]
    captions = colour_set.captions + [["a broken picture", "something broken"]]
    coco = {"images": [{"id": i, "file_name": n} for i, n in enumerate(images)],
            "annotations": [{"image_id": i, "caption": c} for i, caps in enumerate(captions) for c in caps]}
    (tmp_path / "captions_val2017.json").write_text(json.dumps(coco))
    proc = subprocess.run([sys.executable, "-m", "mediasearch.cli", "eval", "coco",
                           str(tmp_path / "captions_val2017.json"), "--images", str(folder), "--json",
                           "--model", "fake", "--data-dir", str(tmp_path / "d"), "--out", str(tmp_path / "o")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout)
    assert res["images"] == 7 and res["failed_images"] == 1
    for block in (res["pipeline"], res["exact"]):
        assert block["text_to_image"]["queries"] == 12 and block["text_to_image"]["R@1"] == 100.0
        assert block["image_to_text"]["queries"] == 6 and block["image_to_text"]["R@1"] == 100.0
    assert json.loads((tmp_path / "o" / "results.json").read_text())["failed_images"] == 1
