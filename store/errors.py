"""Domain exceptions. Library code raises these; only the CLI and HTTP layers
turn them into exit codes, messages and status codes."""


class MediaSearchError(Exception):
    """Base class for every error a user can act on."""


class ConfigError(MediaSearchError):
    """A setting or option is invalid."""


class ModelMismatchError(MediaSearchError):
    """The index was built with a different embedder than the one requested."""


class ModelUnavailableError(MediaSearchError):
    """Model weights are not available (not cached, no network, bad path)."""


class IndexCorruptError(MediaSearchError):
    """The vector index file cannot be read (it is rebuilt from the catalog)."""


class MediaDecodeError(MediaSearchError):
    """A media file cannot be decoded; the message is the reason recorded."""


class QueryError(MediaSearchError):
    """A search query is empty or malformed."""


class StorageFullError(MediaSearchError):
    """The disk (or database server) holding the data has no space left.
    Nothing committed before is lost; the command can be run again."""


class PathError(MediaSearchError):
    """A path given by the user does not exist or cannot be read."""


class NotFoundError(MediaSearchError):
    """No such media, person, face or event, or a file that may not be
    served (outside every root)."""


class WriterBusyError(MediaSearchError):
    """Another process is writing to this data directory."""


# The one table from domain errors to what the edges answer: the CLI's exit
# code and the HTTP status. Checked in order (subclasses first); anything
# else is exit 1 / HTTP 500.
ERROR_TABLE: list[tuple[type[MediaSearchError], int, int]] = [
    (QueryError, 2, 400),
    (PathError, 3, 400),
    (ConfigError, 4, 500),
    (ModelUnavailableError, 5, 503),
    (ModelMismatchError, 6, 409),
    (StorageFullError, 7, 503),
    (WriterBusyError, 8, 409),
    (NotFoundError, 9, 404),
    (MediaDecodeError, 1, 422),
]


def exit_code(e: BaseException) -> int:
    return next((code for t, code, _ in ERROR_TABLE if isinstance(e, t)), 1)


def http_status(e: BaseException) -> int:
    return next((status for t, _, status in ERROR_TABLE if isinstance(e, t)), 500)
