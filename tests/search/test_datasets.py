import json

import pytest

from mediasearch.search.datasets import load_coco, load_pairs_csv
from mediasearch.store.errors import ConfigError

from ..media_factory import solid


@pytest.fixture
def coco_images(tmp_path):
    d = tmp_path / "images"
    (d / "val2014").mkdir(parents=True)
    for i in (1, 2, 3):
        solid(d / "val2014" / f"COCO_val2014_{i:012d}.jpg", (i * 50, 0, 0))
    return d


def test_official_captions(tmp_path, coco_images):
    f = tmp_path / "captions_val2014.json"
    f.write_text(json.dumps({
        "images": [{"id": i, "file_name": f"COCO_val2014_{i:012d}.jpg"} for i in (1, 2, 3, 4)],
        "annotations": [{"image_id": 1, "caption": "a"}, {"image_id": 1, "caption": "b"},
                        {"image_id": 2, "caption": "c"}, {"image_id": 3, "caption": "d"},
                        {"image_id": 4, "caption": "gone"}]}))
    s = load_coco(f, coco_images)
    assert s.format == "coco-official" and len(s.images) == 3 and s.captions[0] == ["a", "b"]
    assert len(s.missing) == 1  # image 4 is listed but not on disk: reported, not fatal


def test_karpathy_dataset_coco_test_split(tmp_path, coco_images):
    f = tmp_path / "dataset_coco.json"
    f.write_text(json.dumps({"images": [
        {"filepath": "val2014", "filename": f"COCO_val2014_{i:012d}.jpg", "split": split,
         "sentences": [{"raw": f"cap {i} {j}", "tokens": []} for j in range(5)]}
        for i, split in ((1, "test"), (2, "train"), (3, "test"))]}))
    s = load_coco(f, coco_images)
    assert s.format == "karpathy" and len(s.images) == 2 and len(s.captions[1]) == 5
    assert load_coco(f, coco_images, split="train").captions == [[f"cap 2 {j}" for j in range(5)]]


def test_karpathy_list_format(tmp_path, coco_images):
    f = tmp_path / "coco_karpathy_test.json"
    f.write_text(json.dumps([{"image": f"val2014/COCO_val2014_{i:012d}.jpg", "caption": ["x", "y"]}
                             for i in (1, 2)]))
    s = load_coco(f, coco_images)
    assert s.format == "karpathy-list" and len(s.images) == 2


def test_csv_pairs_and_bad_files(tmp_path, coco_images):
    f = tmp_path / "pairs.csv"
    f.write_text("image,caption\nimages/val2014/COCO_val2014_000000000001.jpg,a red one\n"
                 "images/val2014/COCO_val2014_000000000001.jpg,\"red, again\"\n")
    s = load_pairs_csv(f)
    assert s.captions == [["a red one", "red, again"]]
    bad = tmp_path / "bad.json"
    bad.write_text('{"foo": 1}')
    with pytest.raises(ConfigError):
        load_coco(bad, coco_images)
