"""Benchmarks (``make bench``): cost and speed targets live here, not in timed tests."""
