"""Evaluation of models on a CSV (`python -m engine.evaluate`): per-row metrics and their totals."""
