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
