"""The membership feature's web parts: the application form and its request model."""
