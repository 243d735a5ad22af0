"""Issue 29: the import graph drawn from the code (every import statement,
at the top of a module or inside a function, read with ``ast``) has no
upward import across the layers (store < indexer < search < web < cli) and
no circle between modules. Four circles were hidden in lazy imports:
roots/walk, the embedders and their tables, the date readers, and the
search service with the modules that read its request."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("store", "indexer", "search", "web", "cli")


def modules() -> dict[str, Path]:
    out = {}
    for pkg in LAYERS:
        for f in (ROOT / pkg).rglob("*.py"):
            parts = list(f.relative_to(ROOT).with_suffix("").parts)
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = f
    return out


def imported(mod: str, node, is_pkg: bool, known: dict) -> list[str]:
    if isinstance(node, ast.Import):
        names = [a.name[len("mediasearch."):] for a in node.names if a.name.startswith("mediasearch.")]
    elif node.level:
        base = mod.split(".") if is_pkg else mod.split(".")[:-1]
        base = base[:len(base) - (node.level - 1)]
        name = ".".join(base + ([node.module] if node.module else []))
        names = [name] + [f"{name}.{a.name}" for a in node.names]
    elif node.module and node.module.startswith("mediasearch."):
        name = node.module[len("mediasearch."):]
        names = [name] + [f"{name}.{a.name}" for a in node.names]
    else:
        return []
    out = []
    for n in names:
        while n and n not in known:
            n = n.rpartition(".")[0]
        if n and n != mod:
            out.append(n)
    return out


def graph() -> dict[str, set[str]]:
    known = modules()
    return {m: {d for node in ast.walk(ast.parse(f.read_text(encoding="utf-8")))
                if isinstance(node, (ast.Import, ast.ImportFrom))
                for d in imported(m, node, f.name == "__init__.py", known)}
            for m, f in known.items()}


def circles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in g[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in g:
        if v not in index:
            visit(v)
    return found


def test_no_module_imports_a_layer_above_its_own():
    g = graph()
    up = [(m, d) for m, deps in g.items() for d in deps
          if LAYERS.index(d.split(".")[0]) > LAYERS.index(m.split(".")[0])]
    assert up == []


def test_no_modules_import_each_other_in_a_circle():
    assert circles(graph()) == []


def test_only_the_cli_package_knows_typer():
    """Every command lives in ``cli/``: the layers under it hold no options
    or terminal output of their own (``store/`` imported typer before)."""
    users = []
    for m, f in modules().items():
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n.split(".")[0] in ("typer", "click", "rich") for n in names) and not m.startswith("cli"):
                users.append(m)
    assert users == []


def test_urls_are_made_by_the_front_ends():
    """The page's and API's URLs are shaped in ``web/`` (the CLI's ``--json``
    through the same envelope), never by the search layer or below."""
    made = [m for m, f in modules().items() if m.split(".")[0] in ("store", "indexer", "search")
            for node in ast.walk(ast.parse(f.read_text(encoding="utf-8")))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and node.value.startswith(("/thumb/", "/media/", "/api/"))]
    assert made == []


def test_library_code_takes_settings_and_never_reads_its_own_environment():
    """Every MEDIASEARCH_* variable is a Settings field: no module reads one
    from the environment itself (MEDIASEARCH_ONNX_CACHE was read by hand).
    One exception, by design: the quick search (cli/quick.py) reads the two
    variables its command's typer options read (envvar=), before typer is
    imported; a test there checks they are the options' own."""
    readers = []
    for m, f in modules().items():
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and any(
                    isinstance(a, ast.Constant) and str(a.value).startswith("MEDIASEARCH_") for a in node.args):
                fn = ast.unparse(node.func)
                if ("environ" in fn or "getenv" in fn) and m != "cli.quick":
                    readers.append(m)
            if isinstance(node, ast.Subscript) and "environ" in ast.unparse(node.value) and \
                    isinstance(node.slice, ast.Constant) and str(node.slice.value).startswith("MEDIASEARCH_"):
                readers.append(m)
    assert readers == []
