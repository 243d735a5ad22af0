"""Embedders: one interface, several backends (openclip, bundled, fake)."""
from .base import Embedder
from .registry import Choice, resolve_embedder

__all__ = ["Embedder", "resolve_embedder", "Choice"]
