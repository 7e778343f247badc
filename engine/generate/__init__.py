"""Generation with stored models (`python -m engine.generate`): settings, batches in fair turns, CSV files."""
