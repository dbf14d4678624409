"""Calls the API functions in-process with the exact API Gateway event (routes from the template)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import boto3
from local_aws.functions import LambdaContext
from local_aws.gateway import HttpResponse, RouteTable, build_event, translate_response
from local_aws.streams import to_lambda_record
from local_aws.template import LocalTemplate

import functions.projector.app as projector
import functions.public_api.app as public_api
import functions.staff_api.app as staff_api

HANDLERS = {
    "PublicApiFunction": public_api.handler,
    "StaffApiFunction": staff_api.handler,
    "ProjectorFunction": projector.handler,
}
STAFF_CLAIMS = {"sub": "staff-1", "cognito:groups": ["staff"], "email": "anna@verein.example"}


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


class ApiClient:
    def __init__(self, template: LocalTemplate, endpoint_url: str) -> None:
        self._routes = RouteTable(template.routes)
        self._template = template
        self._endpoint_url = endpoint_url

    def request(
        self,
        method: str,
        target: str,
        *,
        body: bytes = b"",
        headers: Sequence[tuple[str, str]] = (),
        claims: Mapping[str, Any] | None = None,
        request_id: str | None = None,
    ) -> Reply:
        raw_path, _, raw_query = target.partition("?")
        matched = self._routes.match(method, raw_path)
        assert matched is not None, f"no route for {method} {raw_path}"
        route, params = matched
        event = build_event(
            route=route,
            path_parameters=params,
            method=method,
            raw_path=raw_path,
            raw_query=raw_query,
            header_items=[("host", "localhost"), *headers],
            body=body,
            source_ip="127.0.0.1",
            claims=claims if route.requires_jwt else None,
            request_id=request_id,
        )
        response = self.invoke(route.function, event)
        return _reply(translate_response(response))

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        spec = self._template.functions[function]
        context = LambdaContext(function, spec.memory_mb, spec.timeout_s)
        return HANDLERS[function](event, context)

    def post_form(self, target: str, fields: Mapping[str, str], **kw: Any) -> Reply:
        headers = [("content-type", "application/x-www-form-urlencoded"), *kw.pop("headers", ())]
        return self.request("POST", target, body=urlencode(fields).encode(), headers=headers, **kw)

    def post_json(self, target: str, payload: Any, **kw: Any) -> Reply:
        headers = [("content-type", "application/json"), *kw.pop("headers", ())]
        return self.request(
            "POST", target, body=json.dumps(payload).encode(), headers=headers, **kw
        )

    def staff_get(self, target: str, **kw: Any) -> Reply:
        return self.request("GET", target, claims=kw.pop("claims", STAFF_CLAIMS), **kw)

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
        return self.invoke("ProjectorFunction", {"Records": records})


def _reply(response: HttpResponse) -> Reply:
    headers: dict[str, str] = {}
    for name, value in response.headers:
        headers[name.lower()] = value
    return Reply(response.status, headers, response.body.decode())
