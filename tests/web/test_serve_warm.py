"""Issue 33.3: the server warms every reader a query may need before it says
"serving": the first Chinese or Spanish query does not load CC-CEDICT or USE."""
import pytest

from mediasearch.store.settings import Settings

pytestmark = pytest.mark.slow  # the bundled model, CC-CEDICT and USE for real


def test_serving_starts_with_the_chinese_and_other_language_readers_loaded(cli, photos, tmp_path):
    from mediasearch.web.app import create_app

    data = tmp_path / "d"
    assert cli("index", photos, "--data-dir", data, "--model", "bundled", "--no-progress")[0] == 0
    app = create_app(Settings(home=data, network_timeout=0), allowed_hosts=["testserver"])
    state = app.state.ms
    state.lib.warm_up()
    crosslingual = state.lib.embedder._crosslingual
    assert not crosslingual.reader._words.loaded and not crosslingual._use.loaded
    state.service.warm_up()
    assert crosslingual.reader._words.loaded and crosslingual._use.loaded  # CC-CEDICT and USE
    state.lib.close()
