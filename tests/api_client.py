"""Calls the API functions in-process, routed and authorized as the local API Gateway does it.

Uses the local stack's own router (routes from the template, JWT check, event shape), without
the HTTP server around it: fast enough for every API test, faithful in everything else.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import boto3

import functions.change_stream.app as change_stream
import functions.member_self_service.app as member_self_service
import functions.membership_intake.app as membership_intake
import functions.public_api.app as public_api
import functions.scheduled.app as scheduled
import functions.staff_api.app as staff_api
import functions.staff_web.app as staff_web
from local_aws.functions import LambdaContext
from local_aws.gateway import ApiRouter, HttpResponse
from local_aws.jwt_auth import LocalCognito
from local_aws.streams import to_lambda_record
from local_aws.template import LocalTemplate
from verein.bootstrap import Adapters
from verein.settings import Settings

MODULES = {
    "MembershipIntakeFunction": membership_intake,
    "PublicApiFunction": public_api,
    "StaffApiFunction": staff_api,
    "StaffWebFunction": staff_web,
    "ChangeStreamFunction": change_stream,
    "ScheduledFunction": scheduled,
    "MemberSelfServiceFunction": member_self_service,
}


class InProcessFunctions:
    """The template's functions called in this process, each with adapters of its own (as
    each has its own execution environment in Lambda), built from the current environment."""

    def __init__(self, template: LocalTemplate, adapters: Mapping[str, Adapters] | None = None):
        """``adapters`` by function name: what to serve with instead (e.g. in-memory fakes)."""
        self._template = template
        self.adapters = dict(adapters or {})
        for name in MODULES:
            self.adapters.setdefault(name, Adapters(Settings.from_environment()))
        self._handlers = {
            name: module.lambda_handler(self.adapters[name]) for name, module in MODULES.items()
        }

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        """Call a function's handler, with a Lambda context like Lambda's."""
        spec = self._template.functions[function]
        context = LambdaContext(function, spec.memory_mb, spec.timeout_s)
        return self._handlers[function](event, context)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


class ApiClient:
    def __init__(
        self,
        template: LocalTemplate,
        endpoint_url: str,
        cognito: LocalCognito,
        functions: InProcessFunctions,
    ) -> None:
        self._template = template
        self._endpoint_url = endpoint_url
        self._cognito = cognito
        self.functions = functions
        self._router = ApiRouter(template.routes, self.invoke, cognito.verify)

    def request(
        self,
        method: str,
        target: str,
        *,
        body: bytes = b"",
        headers: Sequence[tuple[str, str]] = (),
        groups: Sequence[str] | None = None,
        subject: str | None = None,
        request_id: str | None = None,
    ) -> Reply:
        """``groups`` given: send a token of a user in those Cognito groups."""
        header_items = [("host", "localhost"), *headers]
        if groups is not None:
            token = self._cognito.issue_token(groups=groups, subject=subject)
            header_items.append(("authorization", f"Bearer {token}"))
        response = self._router.dispatch(
            method=method,
            target=target,
            header_items=header_items,
            body=body,
            source_ip="127.0.0.1",
            request_id=request_id or str(uuid.uuid4()),
        )
        return _reply(response)

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        return self.functions.invoke(function, event)

    def post_form(self, target: str, fields: Mapping[str, str], **kw: Any) -> Reply:
        headers = [("content-type", "application/x-www-form-urlencoded"), *kw.pop("headers", ())]
        return self.request("POST", target, body=urlencode(fields).encode(), headers=headers, **kw)

    def post_json(self, target: str, payload: Any, **kw: Any) -> Reply:
        headers = [("content-type", "application/json"), *kw.pop("headers", ())]
        return self.request(
            "POST", target, body=json.dumps(payload).encode(), headers=headers, **kw
        )

    def post_note(
        self, member_id: str, text: str, headers: Sequence[tuple[str, str]] = ()
    ) -> Reply:
        """A staff user ("anna") adds a note to a member."""
        return self.post_json(
            f"/staff/members/{member_id}/notes",
            {"text": text},
            headers=headers,
            groups=("staff",),
            subject="anna",
        )

    def staff_get(self, target: str, **kw: Any) -> Reply:
        return self.request("GET", target, groups=kw.pop("groups", ("staff",)), **kw)

    def change_records(self, table: str) -> list[dict[str, Any]]:
        """Every change record of ``table`` so far, in Lambda's event shape."""
        client = boto3.client("dynamodb", endpoint_url=self._endpoint_url)
        streams = boto3.client("dynamodbstreams", endpoint_url=self._endpoint_url)
        arn = client.describe_table(TableName=table)["Table"]["LatestStreamArn"]
        records: list[dict[str, Any]] = []
        for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            iterator = streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            while iterator:
                page = streams.get_records(ShardIterator=iterator, Limit=1000)
                records.extend(to_lambda_record(r, arn, "eu-central-1") for r in page["Records"])
                if not page["Records"]:
                    break
                iterator = page.get("NextShardIterator")
        return records

    def project(self, records: list[dict[str, Any]]) -> Any:
        return self.invoke("ChangeStreamFunction", {"Records": records})


def _reply(response: HttpResponse) -> Reply:
    headers: dict[str, str] = {}
    for name, value in response.headers:
        headers[name.lower()] = value
    return Reply(response.status, headers, response.body.decode())
