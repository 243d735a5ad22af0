"""The `mediasearch` command: every subcommand, their shared options and
output, above the four layers (it drives the indexer, the search service and
the web server; nothing below imports it)."""
