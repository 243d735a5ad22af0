"""File paths that are not valid UTF-8, stored losslessly.

Linux file names are bytes. Python hands an undecodable byte (a Latin-1 name
from an old archive: b"caf\\xe9.jpg") to us as a lone surrogate ("caf\\udce9"),
which SQLite and PostgreSQL drivers refuse to store. In the catalog each such
surrogate (U+DC80..U+DCFF) is written as a private-use character
(U+F780..U+F7FF: same length, so prefix filters keep working) and read back as
the surrogate, so the path opens the same file again. (A real name using those
private-use characters would be read back wrongly; none is known in practice.)
For showing a path, undecodable bytes become U+FFFD.
"""
from __future__ import annotations

_TO_DB = {c: c - 0xDC80 + 0xF780 for c in range(0xDC80, 0xDD00)}
_FROM_DB = {v: k for k, v in _TO_DB.items()}


def to_db(path: str) -> str:
    return path.translate(_TO_DB)


def from_db(path: str) -> str:
    return path.translate(_FROM_DB)


def display(path: str) -> str:
    """The path as text a person (or a JSON parser) can take: bad bytes shown as U+FFFD."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def without_secrets(uri: str) -> str:
    """A URI fit to print: a password (``user:secret@``) and token-like query
    values are masked; the host, port and path stay, so the person sees where."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(uri)
    if not parts.scheme or not parts.netloc:
        return uri  # a file path
    netloc = parts.netloc
    if "@" in netloc:
        creds, host = netloc.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        netloc = f"{user}:***@{host}" if ":" in creds else f"***@{host}"
    query = urlencode([(k, "***" if k.lower() in SECRET_KEYS else v) for k, v in parse_qsl(parts.query)], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


SECRET_KEYS = {"password", "token", "secret", "key", "api_key", "apikey"}


def one_line(text: str) -> str:
    """Text for one line of a terminal: control characters (a newline in a
    file name) as escapes, undecodable bytes as \\xNN (as `ls -b` shows
    them), so one hit stays one line and a name can be told apart."""
    out = []
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogate-escaped)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif code < 32 or code == 127:
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch, f"\\x{code:02x}"))
        else:
            out.append(ch)
    return "".join(out)
