"""Stage 3 of the pipeline: the HTTP service, extractive answers, the web page and the CLI."""
