"""Word vectors (`python -m engine.vectors`): chiVe, stored sets, queries, training, the Hub, pictures."""
