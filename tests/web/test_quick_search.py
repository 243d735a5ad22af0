"""Issue 33.3: `mediasearch search` asks a `serve` running on the same data
dir, before typer, the settings or the catalog are imported, and prints what
it would have printed itself; with no server (or a dead one) it searches by
itself as before. Real subprocesses, a real server, real files."""
import json
import os
import signal
import socket
import subprocess
import sys

import pytest
import typer

from mediasearch.cli import quick
from mediasearch.cli.app import build_app


def _serve(data):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "mediasearch.cli", "serve", "--data-dir", str(data),
                             "--port", str(port)], stderr=subprocess.PIPE, text=True)
    said = ""
    while "serving" not in said:
        line = proc.stderr.readline()  # blocks until the server says something
        if not line:
            raise AssertionError(f"serve stopped: {said}")
        said += line
    return proc


def _search(*args, env=None):
    """The installed command in its own process, with Python's import log."""
    p = subprocess.run([sys.executable, "-X", "importtime", "-m", "mediasearch.cli", "search", *map(str, args)],
                       capture_output=True, text=True, env=env, timeout=120)
    imported = {line.split("|")[-1].strip() for line in p.stderr.splitlines() if line.startswith("import time:")}
    said = "\n".join(line for line in p.stderr.splitlines() if not line.startswith("import time:"))
    return p.returncode, p.stdout, said, imported


def test_a_running_server_answers_the_terminal_search(cli, photos, tmp_path):
    data = tmp_path / "d"
    assert cli("index", photos, "--data-dir", data, "--model", "fake")[0] == 0
    code, alone, _, imported = _search("red", "--data-dir", data, "-k", "2")
    assert code == 0 and "red.png" in alone.splitlines()[0] and "sqlalchemy" in imported
    _, alone_json, _, _ = _search("blue", "--data-dir", data, "-k", "3", "--json")

    proc = _serve(data)
    try:
        assert json.loads((data / "serve.json").read_text())["pid"] == proc.pid
        code, served, _, imported = _search("red", "--data-dir", data, "-k", "2")
        # The same lines, and nothing heavy was imported: the server answered.
        assert code == 0 and served == alone
        assert not {"sqlalchemy", "typer", "pydantic_settings", "numpy", "faiss"} & imported
        _, served_json, _, _ = _search("blue", "--data-dir", data, "-k", "3", "--json")
        assert [(r["path"], r["score"]) for r in json.loads(served_json)["results"]] == \
            [(r["path"], r["score"]) for r in json.loads(alone_json)["results"]]
        # The data dir from the environment, as the option reads it.
        env = {**os.environ, "MEDIASEARCH_HOME": str(data)}
        code, served, _, imported = _search("red", "-k", "2", env=env)
        assert code == 0 and served == alone and "sqlalchemy" not in imported
        # What the server cannot answer the same (an image as the query) is searched here.
        code, out, _, imported = _search(photos / "red.png", "--data-dir", data, "-k", "1")
        assert code == 0 and "red.png" in out and "sqlalchemy" in imported
    finally:
        proc.send_signal(signal.SIGKILL)  # killed -9: its note stays behind, stale
        proc.wait(timeout=20)
    assert (data / "serve.json").exists()
    code, out, _, imported = _search("red", "--data-dir", data, "-k", "2")
    assert code == 0 and out == alone and "sqlalchemy" in imported


def test_a_server_stopped_cleanly_takes_its_note_away(cli, photos, tmp_path):
    data = tmp_path / "d"
    assert cli("index", photos, "--data-dir", data, "--model", "fake")[0] == 0
    proc = _serve(data)
    assert (data / "serve.json").exists()
    proc.terminate()
    proc.wait(timeout=20)
    assert not (data / "serve.json").exists()


@pytest.mark.parametrize("args", [
    ["a", "b"],                   # two terms: weighted apart by the command itself
    ["red", "--image", "x.png"],  # a file as the query
    ["red", "--rerank"],
    ["red", "--help"],
    ["red", "-k", "500"],         # beyond the API's page
    ["red", "--made-up"],
])
def test_what_the_server_would_not_answer_the_same_is_searched_here(args):
    assert quick.params(args) is None


def test_a_plain_search_becomes_the_apis_query(tmp_path):
    home, model, q, _ = quick.params(["dogs", "-k", "5", "--by", "date", "--not", "cat", "--kind", "image",
                                      "--all", "--no-lexical", "--data-dir", str(tmp_path), "--place", "Porto"])
    assert home == tmp_path and model is None
    assert dict(q) == {"q": "dogs", "k": "5", "offset": "0", "lexical": "false", "all": "true",
                       "order": "newest", "not": "cat", "kind": "image", "place": "Porto"}


def test_the_quick_options_are_the_search_commands_own():
    """Names, defaults and variables: the quick parser is a subset of the
    command's options and can never read one differently."""
    command = typer.main.get_command(build_app("search")).commands["search"]
    options = {o: p for p in command.params for o in [*p.opts, *p.secondary_opts]}
    for action in quick.parser()._actions:
        for name in action.option_strings:
            assert name in options, name
            p = options[name]
            if action.dest in ("top", "offset", "by", "place"):
                assert p.default == action.default, name
    assert options["--data-dir"].envvar == quick.HOME_VARIABLE
    assert options["--model"].envvar == quick.MODEL_VARIABLE


def test_each_command_imports_its_own_module_only():
    """The table of commands is whole (every command of the full tree is in
    it, under the module that registers it), and a command's tree imports no
    other command's module (a search imported the evaluation and its
    dependencies before: 0.3 s)."""
    from mediasearch.cli.app import COMMANDS

    full = typer.main.get_command(build_app()).commands
    assert set(full) - {"serve"} == set(COMMANDS)
    for name in COMMANDS:
        assert name in typer.main.get_command(build_app(name)).commands
    code = ("import sys; from mediasearch.cli.app import build_app; build_app('search'); "
            "print(sorted(m for m in sys.modules if m.startswith('mediasearch.cli.') and m.endswith('_commands')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['mediasearch.cli.search_commands']"
