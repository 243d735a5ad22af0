"""What a hostile or careless client sends (issue 12.9-12.12): out-of-range
numbers, NUL bytes, forged Host headers, half-open connections, huge query
videos; and one query language for the CLI and the page (issue 14.2)."""
import json
import socket
import threading
import time

import pytest
from fastapi.testclient import TestClient

from mediasearch.indexer.media.video import query_frames
from mediasearch.web.app import create_app
from mediasearch.web.server import HeaderTimeoutProtocol, allowed_hosts

from ..media_factory import video

HUGE = "9" * 25


@pytest.fixture
def client(settings, library_dir):
    with TestClient(create_app(settings, allowed_hosts=["testserver"])) as c:
        yield c


@pytest.mark.parametrize("url", [f"/api/media/{HUGE}", f"/media/{HUGE}", f"/thumb/{HUGE}", "/api/media/0",
                                 "/api/media/-5", f"/api/search?q=red&like={HUGE}", "/api/search?q=red&under=%00",
                                 "/thumb/1?t=1e400", "/api/search?q=red&after=notadate"])
def test_bad_numbers_and_bytes_are_4xx_json(client, url):
    r = client.get(url)
    assert 400 <= r.status_code < 500, (url, r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/json") and r.json()["detail"]


def test_post_with_an_absurd_offset_is_4xx(client):
    r = client.post("/api/search", data={"q": "red", "offset": "1e20"})
    assert r.status_code == 422


def test_forged_host_headers_are_refused(settings, library_dir):
    with TestClient(create_app(settings, allowed_hosts=allowed_hosts("127.0.0.2", None))) as c:
        assert c.get("/api/status", headers={"host": "127.0.0.2:8765"}).status_code == 200
        assert c.get("/api/status", headers={"host": "127.0.0.1:8765"}).status_code == 200
        for forged in ("127.0.0.1:8765@evil.com", "evil.com", "127.0.0.1 evil.com", "[::1]x"):
            assert c.get("/api/status", headers={"host": forged}).status_code == 400, forged


def test_serve_refuses_a_bad_address_before_announcing_it(cli, settings):
    code, out, err = cli("serve", "--host", "256.1.2.3", "--api-key", "k", "--data-dir", settings.home)
    assert code == 4 and "cannot serve" in err and "serving" not in err


def test_cli_and_api_read_the_same_query_language(client, cli, settings):
    """`dog -water` subtracts "water" in the terminal as it does on the page."""
    for q in ("red -green", 'pattern -"red"', "green^2 -red"):
        api = [(h["path"], h["score"]) for h in client.get("/api/search", params={"q": q, "k": 5}).json()["results"]]
        code, out, err = cli("search", q, "--data-dir", settings.home, "-k", "5", "--json")
        assert code == 0, err
        assert [(h["path"], h["score"]) for h in json.loads(out)["results"]] == api, q
    # ...and the envelope is the same one, filters included
    code, out, _ = cli("search", "red", "--kind", "image", "--data-dir", settings.home, "--json")
    assert json.loads(out)["query"]["filters"]["kind"] == ["image"]


def test_half_open_connections_are_closed(settings, library_dir, monkeypatch):
    """Slowloris: a client that never finishes its headers loses the connection."""
    import uvicorn

    monkeypatch.setattr(HeaderTimeoutProtocol, "header_timeout", 0.5)
    app = create_app(settings)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, http=HeaderTimeoutProtocol, log_level="warning"))
    t = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    t.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)  # waiting for the server thread to listen
        slow = socket.create_connection(("127.0.0.1", port))
        slow.sendall(b"GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finished
        slow.settimeout(5)
        start = time.monotonic()
        assert slow.recv(100) == b"" and time.monotonic() - start < 4  # closed by the server
        ok = socket.create_connection(("127.0.0.1", port))
        ok.sendall(b"GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        ok.settimeout(5)
        assert ok.recv(20).startswith(b"HTTP/1.1 200")
    finally:
        server.should_exit = True
        t.join(10)


def test_a_long_query_video_is_sampled_within_its_budget(tmp_path):
    clip = video(tmp_path / "long.mp4", [(20, (200, 10, 10)), (20, (10, 10, 200))], fps=5, size=(64, 48))
    frames = query_frames(clip, count=8, budget=30)
    assert len(frames) == 8
    assert query_frames(clip, count=8, budget=0) and len(query_frames(clip, count=8, budget=0)) == 1


def test_upload_errors_name_the_file_not_our_temp_path(client):
    """Issue 14.17: errors showed the server's temp path and said 'image' for any file."""
    r = client.post("/api/search", files={"file": ("holiday notes.txt", b"just some text", "text/plain")})
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/json")
    detail = r.json()["detail"]
    assert "holiday notes.txt" in detail and "uploads" not in detail and "query-" not in detail
    assert "picture, video or audio" in detail
    r = client.post("/api/search", files={"file": ("clip.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 50, "video/mp4")})
    assert r.status_code in (400, 422) and "clip.mp4" in r.json()["detail"] and "query-" not in r.json()["detail"]
