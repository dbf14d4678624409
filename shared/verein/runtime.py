"""Adapters wired from the Lambda environment, built once per execution environment.

Built lazily on first use and then cached: an import stays cheap (cold start), and no client
is ever built per request. Tests call ``reset()`` after changing the environment.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from verein.bootstrap import EVENT_REGISTRY
from verein.changes.dispatcher import Dispatcher
from verein.eventstore.cache import HeadCachingEventStore
from verein.eventstore.dynamodb import DynamoDBEventStore
from verein.eventstore.mapper import Mapper
from verein.kernel.keyed_hash import KeyedHash
from verein.membership.intake import LambdaApplicationIntake
from verein.membership.views.projector import MemberDirectoryProjector
from verein.membership.views.store import DynamoDBMemberViews
from verein.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


@cache
def settings() -> Settings:
    return Settings.from_environment()


def configure(needs: tuple[str, ...] = ()) -> Settings:
    """Called by each function at import, so that missing settings fail its cold start."""
    return Settings.from_environment(needs)


@cache
def dynamodb() -> DynamoDBClient:
    # Standard retry mode backs off on throttling; the command layer handles conflicts itself.
    return boto3.client("dynamodb", config=Config(retries={"mode": "standard", "max_attempts": 4}))


@cache
def mapper() -> Mapper:
    return Mapper(EVENT_REGISTRY)


@cache
def event_store() -> HeadCachingEventStore:
    # The head cache lives as long as the execution environment: see eventstore/cache.py.
    store = DynamoDBEventStore(dynamodb(), settings().event_store_table, mapper())
    return HeadCachingEventStore(store)


@cache
def member_views() -> DynamoDBMemberViews:
    return DynamoDBMemberViews(dynamodb(), settings().views_table)


@cache
def keyed_hash() -> KeyedHash:
    """The claim-key secret, read once per execution environment (the template's
    ``ClaimKeySecret``; never rotated, so caching it for the environment's life is right)."""
    secrets = boto3.client("secretsmanager")
    secret_id = settings().required(settings().claim_key_secret_arn, "CLAIM_KEY_SECRET_ARN")
    value = secrets.get_secret_value(SecretId=secret_id)
    return KeyedHash(value["SecretString"].encode())


@cache
def application_intake() -> LambdaApplicationIntake:
    """The public function's way to record applications (it has no rights on the store)."""
    # Longer than the intake function's timeout (5 s), shorter than ours (10 s); a retry
    # after a lost answer is safe (an application claims its e-mail address).
    config = Config(read_timeout=8, retries={"mode": "standard", "max_attempts": 3})
    client = boto3.client("lambda", config=config)
    name = settings().required(settings().membership_intake_function, "MEMBERSHIP_INTAKE_FUNCTION")
    return LambdaApplicationIntake(client, name)


@cache
def projections() -> tuple[MemberDirectoryProjector, ...]:
    """Every view of every feature, registered here once: the change-stream dispatcher keeps
    them current, and ``membership views verify/rebuild`` checks and rebuilds them."""
    return (MemberDirectoryProjector(event_store(), member_views()),)


@cache
def dispatcher() -> Dispatcher:
    """Every projection and (soon) reactor, registered here once."""
    return Dispatcher(mapper(), projections())


def reset() -> None:
    """Forget every adapter built so far (tests, and tools that point the runtime elsewhere).

    Every cached builder of this module, found rather than listed, so none can be forgotten."""
    for value in list(globals().values()):
        if hasattr(value, "cache_clear") and getattr(value, "__module__", None) == __name__:
            value.cache_clear()
