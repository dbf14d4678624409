"""The membership views: the member directory (summaries by status), its stores, its projector."""
