"""Application layer: the CLI root (and the web app)."""
