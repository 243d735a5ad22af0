"""The HTTP API over a real store, through FastAPI's TestClient."""
import io
import os
import threading
import time

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from mediasearch.store.catalog import Batch, Catalog, MediaRecord, NewSegment
from mediasearch.web.app import create_app
from mediasearch.web.security import ConcurrencyLimit, Overloaded

from ..media_factory import solid
from .conftest import XSS_NAME


@pytest.fixture
def client(settings, library_dir):
    app = create_app(settings, allowed_hosts=["testserver"])
    with TestClient(app) as c:
        yield c


def test_search_answers_with_the_cli_hit_fields(client, library_dir):
    r = client.get("/api/search", params={"q": "red", "k": 3})
    assert r.status_code == 200
    hits = r.json()["results"]
    assert hits[0]["path"] == str(library_dir / "red.png")
    assert {"path", "kind", "score", "start", "end", "moments", "id", "thumb", "url"} <= set(hits[0])
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in r.headers["content-security-policy"]


def test_the_words_marked_in_snippets_leave_out_little_words(client):
    """Seen on the page: "the" and "in" of a typed sentence were marked all
    over other recordings' transcripts. The page marks ``query.words``."""
    q = client.get("/api/search", params={"q": "the invoice from ACME in 2291", "plain": "date"}).json()["query"]
    assert q["words"] == ["invoice", "acme", "2291"]


def test_video_hit_carries_its_moment_and_keyframe(client):
    hits = client.get("/api/search", params={"q": "blue", "k": 1, "kind": "video"}).json()["results"]
    assert hits[0]["kind"] == "video" and 4 <= hits[0]["start"] < 6
    thumb = client.get(hits[0]["thumb"])
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    r, g, b = Image.open(io.BytesIO(thumb.content)).convert("RGB").resize((1, 1)).getpixel((0, 0))
    assert b > 150  # the keyframe of the blue moment, not the first frame


def test_paging_negatives_filters(client, library_dir):
    first = client.get("/api/search", params={"q": "red", "k": 4}).json()["results"]
    second = client.get("/api/search", params={"q": "red", "k": 2, "offset": 2}).json()["results"]
    assert [h["id"] for h in second] == [h["id"] for h in first[2:4]]
    minus = client.get("/api/search", params={"q": "red -red", "k": 3})
    assert minus.status_code == 400  # the terms cancel: a clear error
    images = client.get("/api/search", params={"q": "blue", "kind": "image", "k": 5}).json()["results"]
    assert images and all(h["kind"] == "image" for h in images)
    dated = client.get("/api/search", params={"q": "red", "after": "2999-01-01"}).json()["results"]
    assert dated == []
    bad = client.get("/api/search", params={"q": "red", "after": "yesterday"})
    assert bad.status_code == 400 and "date" in bad.json()["detail"]


def test_more_like_this(client):
    red = client.get("/api/search", params={"q": "red", "k": 1}).json()["results"][0]
    like = client.get("/api/search", params={"like": red["id"], "k": 1}).json()["results"]
    assert like[0]["id"] == red["id"]


def test_upload_query_by_example(client, tmp_path):
    buf = io.BytesIO()
    Image.new("RGB", (50, 40), (25, 195, 35)).save(buf, "PNG")
    r = client.post("/api/search", files={"file": ("q.png", buf.getvalue(), "image/png")}, data={"k": "2"})
    assert r.status_code == 200, r.text
    assert r.json()["results"][0]["path"].endswith("green.jpg")
    assert not list((tmp_path / "data" / "uploads").glob("*"))  # deleted after use


def test_upload_limits(settings, library_dir):
    settings.web_max_upload_bytes = 10_000
    settings.web_max_upload_pixels = 1_000_000
    app = create_app(settings, allowed_hosts=["testserver"])
    with TestClient(app) as c:
        big = b"\x00" * 20_000
        r = c.post("/api/search", files={"file": ("big.png", big, "image/png")})
        assert r.status_code == 413

        def chunks():  # no Content-Length: the cap applies while streaming
            yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.png"\r\n\r\n'
            for _ in range(30):
                yield b"x" * 1000

        r = c.post("/api/search", content=chunks(), headers={"content-type": "multipart/form-data; boundary=b"})
        assert r.status_code == 413
        buf = io.BytesIO()
        Image.new("L", (2000, 1000)).save(buf, "PNG", optimize=True)
        assert len(buf.getvalue()) < 10_000
        r = c.post("/api/search", files={"file": ("bomb.png", buf.getvalue(), "image/png")})
        assert r.status_code == 400 and "limit" in r.json()["detail"]
        # Issue 34.4: it names the limit that applied, not the indexer's
        assert "MEDIASEARCH_WEB_MAX_UPLOAD_PIXELS" in r.json()["detail"]


def test_media_bytes_with_ranges_and_details(client, library_dir):
    hit = client.get("/api/search", params={"q": "blue", "k": 1, "kind": "video"}).json()["results"][0]
    full = client.get(hit["url"])
    assert full.status_code == 200 and full.headers["content-type"] == "video/mp4"
    part = client.get(hit["url"], headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == full.content[10:20]
    head = client.head(hit["url"])
    assert head.status_code == 200 and int(head.headers["content-length"]) == len(full.content)
    details = client.get(f"/api/media/{hit['id']}").json()
    assert details["kind"] == "video" and len(details["segments"]) >= 3 and "content_hash" not in details


def test_empty_index_and_status(settings, tmp_path):
    settings.home = tmp_path / "fresh"
    with TestClient(create_app(settings, allowed_hosts=["testserver"])) as c:
        r = c.get("/api/search", params={"q": "anything"})
        assert r.status_code == 200 and r.json()["empty_index"] is True
        assert c.get("/api/status").json()["segments"] == 0
        docs = c.get("/docs")
        assert docs.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in docs.text  # served here, no CDN
        assert c.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
        assert c.get("/openapi.json").json()["paths"]["/api/search"]


def test_status_lists_failures(settings, library_dir):
    (library_dir / "broken.jpg").write_bytes(b"\xff\xd8\xffnot really")
    from mediasearch.indexer.library import Library
    from mediasearch.indexer.pipeline import Indexer
    lib = Library(settings)
    Indexer(lib).run([library_dir])
    lib.close()
    with TestClient(create_app(settings, allowed_hosts=["testserver"])) as c:
        s = c.get("/api/status").json()
        assert s["model"]["spec"] == "fake" and s["media"]["ok"]["video"] == 1
        assert [f["path"] for f in s["failures"]] == [str(library_dir / "broken.jpg")]


TRAVERSAL = ["/media/..%2F..%2Fetc%2Fpasswd", "/media/%2e%2e/%2e%2e/etc/passwd", "/media//etc/passwd",
             "/media/1/../../etc/passwd", "/static/../app.py", "/static/..%2fapp.py", "/static/%2e%2e/app.py",
             "/media/-1", "/media/99999", "/thumb/..%2f..%2fetc%2fpasswd", "/media/1%00.jpg",
             "/static//etc/passwd", "/api/media/0"]


@pytest.mark.parametrize("url", TRAVERSAL)
def test_traversal_corpus_never_leaves_the_roots(client, url):
    r = client.get(url)
    assert r.status_code in (400, 404, 405, 422)
    assert b"root:" not in r.content and b"import" not in r.content


def test_rows_pointing_outside_a_root_are_refused(settings, library_dir, tmp_path):
    outside = tmp_path / "library_private"  # a sibling whose name shares the root's prefix
    outside.mkdir()
    secret = solid(outside / "secret.png", (1, 2, 3))
    os.symlink("/etc/passwd", library_dir / "passwd.png")
    os.symlink(secret, library_dir / "link-to-secret.png")
    cat = Catalog(settings.catalog_path)
    forged = [MediaRecord(path=p, root=str(library_dir), size=1, mtime_ns=1, inode=1, kind="image",
                          content_hash=f"forged{i}", segments=[NewSegment(__import__("numpy").ones(64, "float32") / 8, "image")])
              for i, p in enumerate([str(secret), "/etc/passwd", str(library_dir / "passwd.png"),
                                     str(library_dir / "link-to-secret.png"), str(library_dir / ".." / "library_private" / "secret.png")])]
    cat.apply(Batch(upserts=forged))
    ids = [m.id for p, m in cat.known_files().items() if m.content_hash.startswith("forged")]
    cat.close()
    with TestClient(create_app(settings, allowed_hosts=["testserver"])) as c:
        for i in ids:
            for url in (f"/media/{i}", f"/thumb/{i}"):
                r = c.get(url)
                assert r.status_code == 404, (url, r.status_code)
                assert b"root:" not in r.content


def test_hostile_file_names_are_data_not_markup(client):
    hits = client.get("/api/search", params={"q": "yellow", "k": 1}).json()["results"]
    assert hits[0]["name"] == XSS_NAME  # JSON carries it verbatim; the page sets it as text
    page = client.get("/")
    assert page.status_code == 200 and "onerror" not in page.text


def test_host_header_allowlist(settings, library_dir):
    with TestClient(create_app(settings), base_url="http://evil.example") as c:
        assert c.get("/api/status").status_code == 400
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8765") as c:
        assert c.get("/api/status").status_code == 200


def test_api_key_off_loopback(settings, library_dir):
    app = create_app(settings, api_key="s3cret", allowed_hosts=["testserver"])
    with TestClient(app) as c:
        assert c.get("/api/status").status_code == 401
        assert c.get("/api/status", headers={"X-API-Key": "wrong"}).status_code == 401
        assert c.get("/api/status", headers={"X-API-Key": "s3cret"}).status_code == 200
        r = c.get("/?key=s3cret", follow_redirects=False)
        assert r.status_code == 303 and "httponly" in r.headers["set-cookie"].lower()
        assert c.get("/api/status").status_code == 200  # the cookie now carries it


def test_overload_answers_429_not_a_queue(settings, library_dir):
    settings.web_max_concurrency = 1
    settings.web_max_queue = 0
    app = create_app(settings, allowed_hosts=["testserver"])
    with TestClient(app) as c:
        limit = app.state.ms.limit
        with limit:  # a search in flight
            r = c.get("/api/search", params={"q": "red"})
            assert r.status_code == 429 and r.headers["retry-after"]
        assert c.get("/api/search", params={"q": "red"}).status_code == 200


def _asking(lim: ConcurrencyLimit, got: list) -> threading.Thread:
    """A request in another thread: records "ran", or the status it was refused with."""
    def ask():
        try:
            with lim:
                got.append("ran")
        except Overloaded as e:
            got.append(e.status)
    return threading.Thread(target=ask)


def test_concurrency_limit_waits_then_503():
    lim = ConcurrencyLimit(limit=1, queue=1, wait=0.2)
    got = []
    with lim:
        t = _asking(lim, got)
        t.start()
        t.join()
    assert got == [503]
    with lim:
        pass  # released properly


def test_in_process_watcher_and_web_share_one_index(settings, tmp_path):
    """`serve --watch`: new files show up in searches without reloading the index."""
    import time

    from mediasearch.indexer.library import Library
    from mediasearch.indexer.watch import Watcher

    folder = tmp_path / "live"
    folder.mkdir()
    lib = Library(settings)
    lib.claim_identity()
    w = Watcher(lib, [folder], settle=0.3).start()
    try:
        app = create_app(settings, allowed_hosts=["testserver"], library=lib, watch_roots=[str(folder)])
        with TestClient(app) as c:
            solid(folder / "fresh red.png", (235, 10, 10))
            deadline = time.monotonic() + 30
            while str(folder / "fresh red.png") not in lib.catalog.known_files() and time.monotonic() < deadline:
                w.processed.wait(0.2)
                w.processed.clear()
            index_before = lib.vector_index()
            hits = c.get("/api/search", params={"q": "red", "k": 1}).json()["results"]
            assert hits[0]["name"] == "fresh red.png"
            assert lib.vector_index() is index_before  # followed in memory, not rebuilt
            assert c.get(hits[0]["url"]).status_code == 200  # a watched root is a served root
    finally:
        w.stop()
        lib.close()


def test_concurrent_thumbnails_of_duplicate_files(settings, tmp_path):
    """Duplicates share one cached thumbnail; concurrent first requests for it
    must all succeed (no half-written or vanished temp files)."""
    import shutil
    from concurrent.futures import ThreadPoolExecutor

    from mediasearch.indexer.library import Library
    from mediasearch.indexer.pipeline import Indexer

    root = tmp_path / "dups"
    root.mkdir()
    solid(root / "a.png", (10, 120, 200), size=(900, 700))
    for i in range(5):
        shutil.copy(root / "a.png", root / f"copy{i}.png")
    lib = Library(settings)
    Indexer(lib).run([root])
    ids = [k.id for k in lib.catalog.known_files().values()]
    lib.close()
    with TestClient(create_app(settings, allowed_hosts=["testserver"])) as c:
        with ThreadPoolExecutor(6) as pool:
            codes = list(pool.map(lambda i: c.get(f"/thumb/{i}?size=512").status_code, ids * 3))
    assert codes == [200] * len(codes)


def test_status_says_whether_a_captioner_is_installed(settings, library_dir, tmp_path):
    """Issue 14.17: the page offered reranking with no captioner installed."""
    with TestClient(create_app(settings, allowed_hosts=["testserver"])) as c:
        assert c.get("/api/status").json()["captioner"]["available"] is False
    local = tmp_path / "blip"
    local.mkdir()
    settings.captioner = f"image-to-text:{local}"
    with TestClient(create_app(settings, allowed_hosts=["testserver"])) as c:
        assert c.get("/api/status").json()["captioner"]["available"] is True


def test_openapi_operation_ids_are_unique_and_media_answers_head(settings, library_dir):
    """Issue 26.6: GET and HEAD /media/{id} shared one operationId."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # FastAPI warns about a duplicate operation id
        app = create_app(settings)
        spec = app.openapi()
    ids = [op["operationId"] for item in spec["paths"].values() for op in item.values() if "operationId" in op]
    assert len(ids) == len(set(ids))
    assert {"get", "head"} <= set(spec["paths"]["/media/{media_id}"])  # HEAD answers: see test_media_bytes_...


def test_key_in_the_address_becomes_a_secure_cookie_over_https_and_leaves_the_address(settings, library_dir):
    """Issue 26.7: over HTTPS the cookie is Secure; the redirect drops the key
    from the address (history, referrers) and keeps the rest of the query."""
    app = create_app(settings, api_key="s3cret", allowed_hosts=["testserver"])
    with TestClient(app, base_url="https://testserver") as c:
        r = c.get("/?key=s3cret&q=red", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/?q=red"
        cookie = r.headers["set-cookie"].lower()
        assert "secure" in cookie and "httponly" in cookie and "s3cret" not in r.headers["location"]
    with TestClient(app) as c:  # plain http on loopback-style use: no Secure (the browser would drop it)
        assert "secure" not in c.get("/?key=s3cret", follow_redirects=False).headers["set-cookie"].lower()


def test_every_error_is_json_with_a_string_detail(client, settings, library_dir):
    """Issue 34.4: a 422 (`/thumb/1?t=-1`) gave `detail` as a list while the
    schema says a string; a Range outside the file (416) and a malformed one
    (400) were text/plain; Host 127.0.0.1:99999 was accepted."""
    r = client.get("/thumb/1", params={"t": -1})
    assert r.status_code == 422 and isinstance(r.json()["detail"], str) and "t" in r.json()["detail"]
    hit = client.get("/api/search", params={"q": "red", "k": 1}).json()["results"][0]
    size = len(client.get(hit["url"]).content)
    for rng, status in ((f"bytes={size + 10}-{size + 20}", 416), ("bytes=zz", 400)):
        r = client.get(hit["url"], headers={"Range": rng})
        assert r.status_code == status and r.headers["content-type"] == "application/json", (rng, r.headers)
        assert isinstance(r.json()["detail"], str) and r.json()["detail"]
    assert client.get(hit["url"], headers={"Range": f"bytes={size + 10}-"}).headers.get("content-range") == \
        f"bytes */{size}"
    with TestClient(create_app(settings), base_url="http://127.0.0.1:99999") as c:
        assert c.get("/api/status").status_code == 400
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8765") as c:
        assert c.get("/api/status").status_code == 200


def test_the_search_line_is_first_come_first_served_and_says_429_at_once_when_too_long():
    """Issue 34.3: a newcomer could take a free slot ahead of queued requests
    (under a crowd, answered searches waited up to the deadline, some 503).
    Served in arrival order; 429 at once when the expected wait passes the
    deadline."""
    lim = ConcurrencyLimit(limit=1, queue=10, wait=30)
    order, threads = [], []

    def request(n):
        with lim:
            order.append(n)

    with lim:  # a search in flight
        for n in range(4):
            t = threading.Thread(target=request, args=(n,))
            t.start()
            threads.append(t)
            deadline = time.monotonic() + 10
            while len(lim._line) < n + 1:  # each is in line before the next arrives
                assert time.monotonic() < deadline
                time.sleep(0.001)
    for t in threads:
        t.join(30)
    assert order == [0, 1, 2, 3]
    quick = ConcurrencyLimit(limit=1, queue=10, wait=2)
    quick.observe(1.5)  # a search holds its slot 1.5 s here
    got = []
    with quick:
        first = _asking(quick, got)
        first.start()  # one in line: expected 1.5 s, within the 2 s
        while not quick._line:
            time.sleep(0.001)
        with pytest.raises(Overloaded) as e:  # two ahead: 3 s expected, past the deadline
            with quick:
                pass
        assert e.value.status == 429  # at once (after waiting out the deadline it would be 503)
    first.join(30)
    assert got == ["ran"]
