"""The run history (`python -m engine.logs`): tables, one run's details and its loss curve."""
