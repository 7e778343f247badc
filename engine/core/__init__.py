"""What every part of the engine shares: messages, the data home, names, JSON files, CSV files, run records.

Imports nothing else of ours."""
