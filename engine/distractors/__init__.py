"""Quiz distractors (`python -m engine.distractors`): wrong but close Japanese translations of an English word."""
