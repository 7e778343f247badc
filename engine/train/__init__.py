"""Fine-tuning (`python -m engine.train`): the config, the Trainer run, and the app's background jobs."""
