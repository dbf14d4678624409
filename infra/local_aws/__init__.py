"""Run the whole system on loopback, wired from infra/template.yaml.

The submodules are imported on demand: the backend subprocess (``python -m local_aws.backend``)
must not pay for the gateway, the JWT code or boto3 clients it never uses.
"""
