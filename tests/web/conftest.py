import pytest

from mediasearch.indexer.library import Library
from mediasearch.indexer.pipeline import Indexer

from ..media_factory import pattern, solid, video

XSS_NAME = "<img src=x onerror=alert(1)>.png"


@pytest.fixture
def library_dir(settings, tmp_path):
    """A real store: pictures, a video with a blue moment at 4-6 s, a hostile file name."""
    root = tmp_path / "library"
    root.mkdir()
    solid(root / "red.png", (230, 20, 20))
    solid(root / "green.jpg", (20, 200, 30))
    solid(root / XSS_NAME, (240, 240, 10))
    for i in range(30):
        pattern(root / f"pattern_{i:02d}.png", i)
    video(root / "clip.mp4", [(4, (120, 120, 120)), (2, (20, 30, 220)), (2, (10, 10, 10))])
    lib = Library(settings)
    Indexer(lib).run([root])
    lib.close()
    return root
