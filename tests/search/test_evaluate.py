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
