"""HTTP-facing helpers shared by the API functions: languages, HTML pages, problem responses."""
