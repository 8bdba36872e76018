"""lernnetz's graph layer: model, store protocol, stores, regions, queries, pictures."""
