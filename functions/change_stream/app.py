"""The change-stream consumer: every commit to every registered projection and reactor.

Failures are reported per record (``ReportBatchItemFailures``), so Lambda redelivers from the
first failed record; every handler is idempotent, so what it applied before is a no-op then.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from verein.bootstrap import Adapters
from verein.tracing import handler_tracer

NEEDS: tuple[str, ...] = ("MAIL_SENDER",)
"""Settings this function cannot start without beyond the common ones (cold start)."""
adapters = Adapters.from_environment(NEEDS)
logger = Logger()
tracer = handler_tracer()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def new_images(event: dict[str, Any]) -> list[dict[str, Any]]:
    """The records' new images, in order, as the dispatcher reads them."""
    records = (DynamoDBRecord(raw) for raw in event.get("Records", []))
    return [r.dynamodb.new_image for r in records if r.dynamodb and r.dynamodb.new_image]


def lambda_handler(adapters: Adapters) -> Callable[[dict[str, Any], LambdaContext], Any]:
    """The handler, dispatching to ``adapters.dispatcher`` (tests pass their own)."""

    def on_record(record: DynamoDBRecord) -> None:
        new_image = record.dynamodb.new_image if record.dynamodb else None
        if new_image:
            adapters.dispatcher.dispatch(new_image)

    @logger.inject_lambda_context
    @tracer.capture_lambda_handler
    def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
        adapters.dispatcher.begin_batch(new_images(event))
        return process_partial_response(
            event=event, record_handler=on_record, processor=processor, context=context
        )

    return handler


handler = lambda_handler(adapters)
