"""What a model is: the store, scratch models, loading, the input format, the catalog, model cards,
publishing to the Hub, and the room they take on disk."""
