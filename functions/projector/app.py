"""Projector: applies the event store's change stream to the read views.

Failures are reported per record (``ReportBatchItemFailures``), so Lambda redelivers from the
first failed record; the projector is idempotent, so redelivered records are no-ops.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from verein import runtime
from verein.eventstore.mapper import is_commit
from verein.membership.views.projector import MemberDirectoryProjector

logger = Logger()
tracer = Tracer()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def project(record: DynamoDBRecord) -> None:
    new_image = record.dynamodb.new_image if record.dynamodb else None
    if new_image and is_commit(new_image):  # claims are not domain events
        commit = runtime.mapper().recorded_events(new_image)
        MemberDirectoryProjector(runtime.event_store(), runtime.member_views()).apply(commit)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=project, processor=processor, context=context
    )
