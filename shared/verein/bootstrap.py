"""The composition root: the one place that builds adapters and knows every feature.

A function module builds one ``Adapters`` at import (``Adapters.from_environment``), so its
settings are checked at cold start; each adapter is built on first use and then kept for the
execution environment's life: an import stays cheap, and no client is ever built per request.
Use cases and routes receive the adapters they need; tests build their own ``Adapters`` with
fakes (or clients of a test backend) instead of resetting anything global.

Adding a feature: its domain events, projections and reactors are listed below, its routers
are included by the function that serves them. Nothing else grows with it.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from verein.fees import domain_events as fees
from verein.groups import domain_events as groups
from verein.kernel.domain_events import EventRegistry
from verein.kernel.keyed_hash import KeyedHash
from verein.membership import domain_events as membership_events
from verein.membership import feature as membership
from verein.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from verein.changes.dispatcher import CommitHandler, Dispatcher
    from verein.changes.projection import Projection
    from verein.eventstore.mapper import Mapper
    from verein.eventstore.port import EventStore
    from verein.mail.ledger import MailLedger
    from verein.mail.port import MailSender
    from verein.membership.intake import ApplicationIntake
    from verein.membership.numbers import MemberNumbers
    from verein.membership.views.store import MemberViews
    from verein.staff_app.sessions import SessionStore
    from verein.staff_app.signin import LoginService, TokenEndpoint

EVENT_REGISTRY = EventRegistry(
    (*membership.DOMAIN_EVENTS, *fees.DOMAIN_EVENTS, *groups.DOMAIN_EVENTS),
    {**membership_events.UPCASTERS, **fees.UPCASTERS, **groups.UPCASTERS},
)
"""Every feature's domain events: what the store can read back (and upcast)."""


class Adapters:
    """Every adapter the functions use, built lazily and once per ``Adapters``.

    Pass an adapter to use it instead of building one (tests: in-memory fakes, a test backend's
    client); what is not passed is built from ``settings`` when first asked for.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        dynamodb: DynamoDBClient | None = None,
        event_store: EventStore | None = None,
        member_views: MemberViews | None = None,
        keyed_hash: KeyedHash | None = None,
        application_intake: ApplicationIntake | None = None,
        session_store: SessionStore | None = None,
        login_service: LoginService | None = None,
        token_endpoint: TokenEndpoint | None = None,
        mail_sender: MailSender | None = None,
        mail_ledger: MailLedger | None = None,
    ) -> None:
        self.settings = settings
        given = {
            "dynamodb": dynamodb,
            "event_store": event_store,
            "member_views": member_views,
            "keyed_hash": keyed_hash,
            "application_intake": application_intake,
            "session_store": session_store,
            "login_service": login_service,
            "token_endpoint": token_endpoint,
            "mail_sender": mail_sender,
            "mail_ledger": mail_ledger,
        }
        # A cached_property is read from the instance dict first: a given adapter is "built".
        self.__dict__.update({name: value for name, value in given.items() if value is not None})

    @classmethod
    def from_environment(cls, needs: tuple[str, ...] = ()) -> Adapters:
        """For a function module, at import: ``needs`` names the settings it cannot start
        without, so that a missing one fails the cold start rather than a request."""
        return cls(Settings.from_environment(needs))

    @cached_property
    def dynamodb(self) -> DynamoDBClient:
        import boto3  # noqa: PLC0415 - only functions that talk to DynamoDB pay for it
        from botocore.config import Config  # noqa: PLC0415

        # Standard retry mode backs off on throttling; the runner handles conflicts itself.
        config = Config(retries={"mode": "standard", "max_attempts": 4})
        return boto3.client("dynamodb", config=config)

    @cached_property
    def mapper(self) -> Mapper:
        from verein.eventstore.mapper import Mapper  # noqa: PLC0415

        return Mapper(EVENT_REGISTRY)

    @cached_property
    def event_store(self) -> EventStore:
        from verein.eventstore.cache import HeadCachingEventStore  # noqa: PLC0415
        from verein.eventstore.dynamodb import DynamoDBEventStore  # noqa: PLC0415

        # The head cache lives as long as the execution environment: see eventstore/cache.py.
        table = self.settings.event_store_table
        return HeadCachingEventStore(DynamoDBEventStore(self.dynamodb, table, self.mapper))

    @cached_property
    def member_views(self) -> MemberViews:
        from verein.membership.views.store import DynamoDBMemberViews  # noqa: PLC0415

        return DynamoDBMemberViews(self.dynamodb, self.settings.views_table)

    @cached_property
    def keyed_hash(self) -> KeyedHash:
        """The claim-key secret (the template's ``ClaimKeySecret``), read once: it is never
        rotated, so keeping it for the execution environment's life is right."""
        import boto3  # noqa: PLC0415

        secret_id = self.settings.required(
            self.settings.claim_key_secret_arn, "CLAIM_KEY_SECRET_ARN"
        )
        value = boto3.client("secretsmanager").get_secret_value(SecretId=secret_id)
        return KeyedHash(value["SecretString"].encode())

    @cached_property
    def application_intake(self) -> ApplicationIntake:
        """The public function's way to record applications (it has no rights on the store)."""
        import boto3  # noqa: PLC0415
        from botocore.config import Config  # noqa: PLC0415

        from verein.membership.intake import LambdaApplicationIntake  # noqa: PLC0415

        # Longer than the intake function's timeout (5 s), shorter than ours (10 s); a retry
        # after a lost answer is safe (an application claims its e-mail address).
        config = Config(read_timeout=8, retries={"mode": "standard", "max_attempts": 3})
        name = self.settings.required(
            self.settings.membership_intake_function, "MEMBERSHIP_INTAKE_FUNCTION"
        )
        return LambdaApplicationIntake(boto3.client("lambda", config=config), name)

    @cached_property
    def member_numbers(self) -> MemberNumbers:
        """Finds free member numbers; remembers the last one this environment saw."""
        from verein.membership.numbers import MemberNumbers  # noqa: PLC0415

        return MemberNumbers(self.event_store)

    @cached_property
    def session_store(self) -> SessionStore:
        from verein.staff_app.sessions import DynamoDBSessionStore  # noqa: PLC0415

        table = self.settings.required(self.settings.staff_table, "STAFF_TABLE")
        return DynamoDBSessionStore(self.dynamodb, table)

    @cached_property
    def login_service(self) -> LoginService:
        """Cognito's managed login for the staff app; its client found once, by name."""
        import boto3  # noqa: PLC0415

        from verein.staff_app.signin import LoginService, find_client_id  # noqa: PLC0415

        settings = self.settings
        client_id = settings.staff_web_client_id or find_client_id(
            boto3.client("cognito-idp"),
            settings.required(settings.staff_user_pool_id, "STAFF_USER_POOL_ID"),
            settings.required(settings.staff_web_client_name, "STAFF_WEB_CLIENT_NAME"),
        )
        return LoginService(
            base_url=settings.required(settings.staff_login_url, "STAFF_LOGIN_URL").rstrip("/"),
            client_id=client_id,
            issuer=settings.required(settings.staff_token_issuer, "STAFF_TOKEN_ISSUER"),
        )

    @cached_property
    def token_endpoint(self) -> TokenEndpoint:
        from verein.staff_app.signin import HttpTokenEndpoint  # noqa: PLC0415

        return HttpTokenEndpoint()

    @cached_property
    def mail_sender(self) -> MailSender:
        """Amazon SES (API v2), sending from ``MAIL_SENDER``."""
        import boto3  # noqa: PLC0415
        from botocore.config import Config  # noqa: PLC0415

        from verein.mail.ses import SesMailSender  # noqa: PLC0415

        sender = self.settings.required(self.settings.mail_sender, "MAIL_SENDER")
        # No botocore retries: SendEmail has no idempotency key, so a retry after a lost answer
        # can send a mail twice, and the last attempt's error would hide that an earlier one
        # may have gone out. The caller retries what certainly failed (MailNotSent).
        config = Config(
            connect_timeout=3, read_timeout=5, retries={"mode": "standard", "total_max_attempts": 1}
        )
        return SesMailSender(boto3.client("sesv2", config=config), sender)

    @cached_property
    def mail_ledger(self) -> MailLedger:
        """Which mails were sent (``mail#<event_id>`` items in the event-store table)."""
        from verein.mail.ledger import DynamoDBMailLedger  # noqa: PLC0415

        return DynamoDBMailLedger(self.dynamodb, self.settings.event_store_table)

    @cached_property
    def projections(self) -> tuple[Projection, ...]:
        """Every view of every feature: kept current by the change stream, checked and rebuilt
        by ``membership views verify|rebuild``."""
        return (*membership.projections(self),)

    @cached_property
    def reactors(self) -> tuple[CommitHandler, ...]:
        """What every feature does on the change stream besides its views (mails): run by the
        change stream only, never by ``membership views verify|rebuild``, which replay history
        and must not act on it again."""
        return (*membership.reactors(self),)

    @cached_property
    def dispatcher(self) -> Dispatcher:
        """The change stream's consumer: every projection and reactor."""
        from verein.changes.dispatcher import Dispatcher  # noqa: PLC0415

        return Dispatcher(self.mapper, (*self.projections, *self.reactors))
