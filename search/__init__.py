"""Query -> ranked hits: query parsing, the engine, evaluation."""
