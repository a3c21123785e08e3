"""Stage 1 of the pipeline: policy documents parsed into cited passages."""
