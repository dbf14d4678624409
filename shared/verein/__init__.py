"""Code shared by the Lambda functions: domain, event store, projections, web rendering.

Packaged as a Lambda layer (``infra/template.yaml``: ``SharedLayer``). Nothing in here builds an
AWS client at import time: handlers import this package on a cold start.
"""
