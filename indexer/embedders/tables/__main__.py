"""``python -m indexer.embedders.tables``: regenerate the shipped tables."""
import json

from . import build

print(json.dumps(build(), indent=1))
