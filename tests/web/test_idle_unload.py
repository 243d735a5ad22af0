"""Issue 30.4: a server left running frees the model between searches and
loads it again on the next one, with the same answers."""
import pytest

from mediasearch.store.settings import Settings

pytestmark = pytest.mark.slow  # the bundled model's real weights


def test_the_server_unloads_an_idle_model_and_reloads_it_for_the_next_search(cli, photos, tmp_path):
    from fastapi.testclient import TestClient

    from mediasearch.web.app import create_app

    data = tmp_path / "d"
    assert cli("index", photos, "--data-dir", data, "--model", "bundled", "--no-progress")[0] == 0
    settings = Settings(home=data, network_timeout=0, unload_idle_model=1.0)
    app = create_app(settings, allowed_hosts=["testserver"])
    emb = app.state.ms.lib.embedder
    with TestClient(app) as client:
        first = client.get("/api/search", params={"q": "a red thing", "all": "true"}).json()["results"]
        assert emb.unloaded.wait(30), "the idle model was never unloaded"
        assert emb.loads == 1 and "_text" not in vars(emb)  # MiniLM and the network let go
        again = client.get("/api/search", params={"q": "a red thing", "all": "true"}).json()["results"]
        assert emb.loads == 2  # loaded again for it
    assert [(r["path"], round(r["score"], 5)) for r in again] == [(r["path"], round(r["score"], 5)) for r in first]
    assert len(first) == 3
