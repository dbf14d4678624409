"""Read views built from the event store's change stream (and rebuildable from the store)."""
