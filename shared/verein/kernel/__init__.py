"""What every feature shares: domain events and their registry, the command runner, errors,
keyed hashes, e-mail addresses."""
