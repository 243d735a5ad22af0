"""File -> vectors: media decoding, embedders, the indexing pipeline.

Knows nothing about HTTP; depends only on ``store``.
"""
