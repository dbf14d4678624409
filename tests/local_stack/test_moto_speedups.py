"""The local backend's faster Query and TransactWriteItems keep moto's (and DynamoDB's) semantics."""

import copy
import random

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from local_aws import moto_speedups


@pytest.fixture
def ddb(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    # botocore >= 1.40 sends stream calls to account-based hosts that moto does not route.
    monkeypatch.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
    moto_speedups.install()
    with mock_aws():
        client = boto3.client("dynamodb")
        client.create_table(
            TableName="t",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "p", "AttributeType": "S"},
                {"AttributeName": "s", "AttributeType": "N"},
                {"AttributeName": "g", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "p", "KeyType": "HASH"},
                {"AttributeName": "s", "KeyType": "RANGE"},
            ],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by_g",
                    "KeySchema": [
                        {"AttributeName": "g", "KeyType": "HASH"},
                        {"AttributeName": "s", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )
        yield client


def put(client, p, s, **extra):
    item = {"p": {"S": p}, "s": {"N": str(s)}, **extra}
    client.put_item(TableName="t", Item=item)


def change_records(client):
    streams = boto3.client("dynamodbstreams")
    arn = client.describe_table(TableName="t")["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    return streams.get_records(ShardIterator=iterator)["Records"]


def test_query_returns_exactly_the_partition_in_key_order(ddb):
    for p in ("a", "b", "c"):
        for s in (10, 2, 33, 4):
            put(ddb, p, s)

    def query(**kw):
        response = ddb.query(
            TableName="t",
            KeyConditionExpression=kw.pop("condition", "p = :p"),
            ExpressionAttributeValues={":p": {"S": "b"}, **kw.pop("values", {})},
            **kw,
        )
        return [int(i["s"]["N"]) for i in response["Items"]], response.get("LastEvaluatedKey")

    assert query() == ([2, 4, 10, 33], None)
    assert query(ScanIndexForward=False, Limit=1)[0] == [33]
    items, last = query(Limit=2)
    assert items == [2, 4]
    assert query(ExclusiveStartKey=last)[0] == [10, 33]
    assert query(condition="p = :p AND s > :v", values={":v": {"N": "4"}})[0] == [10, 33]
    empty = ddb.query(
        TableName="t",
        KeyConditionExpression="p = :p",
        ExpressionAttributeValues={":p": {"S": "zzz"}},
    )
    assert empty["Items"] == []


def test_index_queries_still_see_every_partition(ddb):
    put(ddb, "a", 1, g={"S": "blue"})
    put(ddb, "b", 2, g={"S": "blue"})
    put(ddb, "c", 3, g={"S": "red"})
    response = ddb.query(
        TableName="t",
        IndexName="by_g",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "blue"}},
    )
    assert [i["p"]["S"] for i in response["Items"]] == ["a", "b"]


def test_a_cancelled_transaction_writes_nothing_and_emits_no_change_record(ddb):
    put(ddb, "taken", 0)
    before = len(change_records(ddb))
    with pytest.raises(ClientError) as cancelled:
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": "t",
                        "Item": {"p": {"S": "new"}, "s": {"N": "1"}},
                        "ConditionExpression": "attribute_not_exists(p)",
                    }
                },
                {
                    "Put": {
                        "TableName": "t",
                        "Item": {"p": {"S": "taken"}, "s": {"N": "0"}},
                        "ConditionExpression": "attribute_not_exists(p)",
                    }
                },
            ]
        )
    reasons = cancelled.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "ConditionalCheckFailed"]
    assert "Item" not in ddb.get_item(TableName="t", Key={"p": {"S": "new"}, "s": {"N": "1"}})
    assert len(change_records(ddb)) == before


def test_a_transaction_writes_all_its_items_with_their_change_records(ddb):
    put(ddb, "counter", 0, n={"N": "1"})
    ddb.transact_write_items(
        TransactItems=[
            {
                "Put": {
                    "TableName": "t",
                    "Item": {"p": {"S": "x"}, "s": {"N": "1"}},
                    "ConditionExpression": "attribute_not_exists(p)",
                }
            },
            {
                "Update": {
                    "TableName": "t",
                    "Key": {"p": {"S": "counter"}, "s": {"N": "0"}},
                    "UpdateExpression": "SET n = n + :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
            {
                "ConditionCheck": {
                    "TableName": "t",
                    "Key": {"p": {"S": "counter"}, "s": {"N": "9"}},
                    "ConditionExpression": "attribute_not_exists(p)",
                }
            },
        ]
    )
    counter = ddb.get_item(TableName="t", Key={"p": {"S": "counter"}, "s": {"N": "0"}})["Item"]
    assert counter["n"] == {"N": "2"}
    assert [r["eventName"] for r in change_records(ddb)] == ["INSERT", "INSERT", "MODIFY"]


def test_a_write_that_fails_late_rolls_back_items_and_change_records(ddb):
    put(ddb, "text", 0, n={"S": "not a number"})
    before = change_records(ddb)
    with pytest.raises(ClientError):
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "t", "Item": {"p": {"S": "y"}, "s": {"N": "1"}}}},
                {
                    "Update": {
                        "TableName": "t",
                        "Key": {"p": {"S": "text"}, "s": {"N": "0"}},
                        "UpdateExpression": "SET n = n + :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
            ]
        )
    assert "Item" not in ddb.get_item(TableName="t", Key={"p": {"S": "y"}, "s": {"N": "1"}})
    text = ddb.get_item(TableName="t", Key={"p": {"S": "text"}, "s": {"N": "0"}})["Item"]
    assert text["n"] == {"S": "not a number"}
    assert len(change_records(ddb)) == len(before)


def test_the_same_item_twice_in_one_transaction_is_refused(ddb):
    with pytest.raises(ClientError) as refused:
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "t", "Item": {"p": {"S": "z"}, "s": {"N": "1"}}}},
                {"Put": {"TableName": "t", "Item": {"p": {"S": "z"}, "s": {"N": "1"}}}},
            ]
        )
    assert refused.value.response["Error"]["Code"] == "ValidationException"


# --- index Query: the sorted index returns what moto's full scan returns ---------------------


@pytest.fixture
def indexed(monkeypatch):
    """A table with an index with a range key (``by_list``, as the views table's) and one
    without, and items written every way moto writes: put, update in place, delete, batch,
    transaction (also one that rolls back)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    monkeypatch.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
    moto_speedups.install()
    with mock_aws():
        client = boto3.client("dynamodb")
        client.create_table(
            TableName="v",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": "S"}
                for name in ("pk", "sk", "list_pk", "list_sk", "colour")
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by_list",
                    "KeySchema": [
                        {"AttributeName": "list_pk", "KeyType": "HASH"},
                        {"AttributeName": "list_sk", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                },
                {
                    "IndexName": "by_colour",
                    "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                },
            ],
        )
        yield client


def _view(n: int, status: str, position: str, **extra: dict) -> dict:
    return {
        "pk": {"S": f"member#{n:03d}"},
        "sk": {"S": "summary"},
        "list_pk": {"S": f"members#{status}"},
        # Equal list positions for different members: moto breaks the tie by the table keys.
        "list_sk": {"S": position},
        "n": {"N": str(n)},
        **extra,
    }


def _fill(client) -> None:
    rng = random.Random(7)
    for n in range(60):
        extra = {"colour": {"S": rng.choice(["red", "blue"])}} if n % 3 else {}
        status = rng.choice(["applied", "applied", "member"])
        client.put_item(TableName="v", Item=_view(n, status, f"2026-01-{n % 17:02d}", **extra))
    # Sparse: no list_sk, so in neither index (no colour either).
    client.put_item(
        TableName="v",
        Item={"pk": {"S": "x"}, "sk": {"S": "y"}, "list_pk": {"S": "members#applied"}},
    )
    # Built now: every write below must keep the sorted index up to date.
    ask(client, "by_list", "members#applied")
    for n in range(0, 60, 7):  # in place: moves the member to another list
        client.update_item(
            TableName="v",
            Key={"pk": {"S": f"member#{n:03d}"}, "sk": {"S": "summary"}},
            UpdateExpression="SET list_pk = :s, list_sk = :p",
            ExpressionAttributeValues={":s": {"S": "members#member"}, ":p": {"S": "2026-02-01"}},
        )
    for n in range(1, 60, 11):
        client.delete_item(
            TableName="v", Key={"pk": {"S": f"member#{n:03d}"}, "sk": {"S": "summary"}}
        )
    client.batch_write_item(
        RequestItems={
            "v": [
                {"PutRequest": {"Item": _view(100 + n, "applied", "2026-01-05")}} for n in range(5)
            ]
        }
    )
    client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": "v", "Item": _view(200, "applied", "2026-01-09")}},
            {
                "Delete": {
                    "TableName": "v",
                    "Key": {"pk": {"S": "member#002"}, "sk": {"S": "summary"}},
                }
            },
        ]
    )
    with pytest.raises(ClientError):  # fails late: both writes are rolled back
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "v", "Item": _view(201, "applied", "2026-01-01")}},
                {
                    "Update": {
                        "TableName": "v",
                        "Key": {"pk": {"S": "member#003"}, "sk": {"S": "summary"}},
                        "UpdateExpression": "SET list_sk = :p, n = n + :one",
                        "ExpressionAttributeValues": {
                            ":p": {"S": "2026-03-01"},
                            ":one": {"S": "not a number"},
                        },
                    }
                },
            ]
        )


def ask(client, index: str, value: str, **kwargs) -> list[dict]:
    """Every page of one index Query (following LastEvaluatedKey), answers as boto3 parses them."""
    names = {"by_list": "list_pk", "by_colour": "colour"}
    request = {
        "TableName": "v",
        "IndexName": index,
        "KeyConditionExpression": f"{names[index]} = :h" + kwargs.pop("range", ""),
        "ExpressionAttributeValues": {":h": {"S": value}, **kwargs.pop("values", {})},
        **kwargs,
    }
    pages = []
    while True:
        answer = client.query(**request)
        answer.pop("ResponseMetadata")
        pages.append(answer)
        if "LastEvaluatedKey" not in answer or len(pages) > 100:
            return pages
        request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


RANGES = [
    {},
    {"range": " AND list_sk = :a", "values": {":a": {"S": "2026-01-05"}}},
    {"range": " AND list_sk < :a", "values": {":a": {"S": "2026-01-05"}}},
    {"range": " AND list_sk <= :a", "values": {":a": {"S": "2026-01-05"}}},
    {"range": " AND list_sk > :a", "values": {":a": {"S": "2026-01-09"}}},
    {"range": " AND list_sk >= :a", "values": {":a": {"S": "2026-01-09"}}},
    {
        "range": " AND list_sk BETWEEN :a AND :b",
        "values": {":a": {"S": "2026-01-03"}, ":b": {"S": "2026-01-11"}},
    },
    {"range": " AND begins_with(list_sk, :a)", "values": {":a": {"S": "2026-01-1"}}},
]


@pytest.mark.parametrize("forward", [True, False])
@pytest.mark.parametrize("limit", [None, 1, 2, 3, 7, 100])
def test_index_query_pages_are_moto_s_own_for_every_key_condition(indexed, limit, forward):
    _fill(indexed)
    for status in ("members#applied", "members#member", "members#nobody"):
        for condition in RANGES:
            kwargs = {**condition, "ScanIndexForward": forward}
            if limit is not None:
                kwargs["Limit"] = limit
            fast = ask(indexed, "by_list", status, **copy.deepcopy(kwargs))
            with moto_speedups.moto_as_shipped():
                shipped = ask(indexed, "by_list", status, **copy.deepcopy(kwargs))
            assert fast == shipped, (status, kwargs)


@pytest.mark.parametrize("limit", [None, 1, 4])
def test_an_index_without_a_range_key_and_filters_and_projections_are_moto_s_own(indexed, limit):
    _fill(indexed)
    variants = [
        {"IndexName": "by_colour"},
        {"FilterExpression": "n > :five", "values": {":five": {"N": "5"}}},
        {"ProjectionExpression": "pk, n"},
        {"Select": "COUNT"},
    ]
    for variant in variants:
        kwargs = {**variant, **({"Limit": limit} if limit else {})}
        index = kwargs.pop("IndexName", "by_list")
        value = "red" if index == "by_colour" else "members#applied"
        fast = ask(indexed, index, value, **copy.deepcopy(kwargs))
        with moto_speedups.moto_as_shipped():
            shipped = ask(indexed, index, value, **copy.deepcopy(kwargs))
        assert fast == shipped, variant
        assert fast[0]["Count"] > 0


def test_a_start_key_of_a_member_gone_since_still_pages_on_as_moto_does(indexed):
    _fill(indexed)
    first = indexed.query(
        TableName="v",
        IndexName="by_list",
        KeyConditionExpression="list_pk = :h",
        ExpressionAttributeValues={":h": {"S": "members#applied"}},
        Limit=3,
    )
    start = first["LastEvaluatedKey"]
    indexed.delete_item(TableName="v", Key={"pk": start["pk"], "sk": start["sk"]})
    kwargs = {"Limit": 3, "ExclusiveStartKey": start}
    fast = ask(indexed, "by_list", "members#applied", **copy.deepcopy(kwargs))
    with moto_speedups.moto_as_shipped():
        shipped = ask(indexed, "by_list", "members#applied", **copy.deepcopy(kwargs))
    assert fast == shipped
    assert fast[0]["Items"]


def test_items_loaded_in_bulk_show_in_the_index_once_it_is_forgotten(indexed):
    from local_aws import moto_state  # noqa: PLC0415 - needs moto's backend, set up by mock_aws

    _fill(indexed)
    before = ask(indexed, "by_list", "members#applied")[0]["Count"]
    table = moto_state.backend("eu-central-1").tables["v"]
    moto_state.load_items(table, [{k: v for k, v in _view(300, "applied", "2026-01-04").items()}])
    moto_speedups.forget_indexes(table)
    assert ask(indexed, "by_list", "members#applied")[0]["Count"] == before + 1


# --- answers: written as plain JSON, read by boto3 exactly as moto's serializer's -------------

EVERY_TYPE = {
    "p": {"S": "all"},
    "s": {"N": "1"},
    "text": {"S": 'ü € " \\ \n'},
    "number": {"N": "-12.50"},
    "big": {"N": "123456789012345678901234567890"},
    "binary": {"B": b"\x00\xffbytes"},
    "flag": {"BOOL": False},
    "nothing": {"NULL": True},
    "list": {"L": [{"S": "a"}, {"N": "2"}, {"B": b"\x01"}, {"L": []}, {"M": {}}]},
    "map": {"M": {"B": {"S": "a map key called B"}, "inner": {"BS": [b"x", b"y"]}}},
    "strings": {"SS": ["a", "b"]},
    "numbers": {"NS": ["1", "2.5"]},
    "binaries": {"BS": [b"\x02", b"\x03"]},
    "g": {"S": "green"},
}


def both_ways(call):
    """(fast answer, moto's serializer's answer) of the same call, without ResponseMetadata."""
    fast = call()
    with moto_speedups.moto_as_shipped():
        shipped = call()
    for answer in (fast, shipped):
        answer.pop("ResponseMetadata")
    return fast, shipped


def test_item_answers_are_what_moto_serializes(ddb):
    ddb.put_item(TableName="t", Item=EVERY_TYPE)
    key = {"p": {"S": "all"}, "s": {"N": "1"}}
    calls = [
        lambda: ddb.get_item(TableName="t", Key=key),
        lambda: ddb.get_item(TableName="t", Key={"p": {"S": "none"}, "s": {"N": "1"}}),
        lambda: ddb.get_item(
            TableName="t",
            Key=key,
            ProjectionExpression="#b, #m.inner",
            ExpressionAttributeNames={"#b": "binary", "#m": "map"},
        ),
        lambda: ddb.query(
            TableName="t",
            KeyConditionExpression="p = :p",
            ExpressionAttributeValues={":p": {"S": "all"}},
        ),
        lambda: ddb.query(
            TableName="t",
            IndexName="by_g",
            KeyConditionExpression="g = :g",
            ExpressionAttributeValues={":g": {"S": "green"}},
            Limit=1,
        ),
        lambda: ddb.scan(TableName="t"),
        lambda: ddb.put_item(TableName="t", Item=EVERY_TYPE, ReturnValues="ALL_OLD"),
        lambda: ddb.update_item(
            TableName="t",
            Key=key,
            UpdateExpression="SET flag = :t",
            ExpressionAttributeValues={":t": {"BOOL": True}},
            ReturnValues="ALL_NEW",
        ),
        lambda: ddb.update_item(
            TableName="t",
            Key=key,
            UpdateExpression="SET flag = :t",
            ExpressionAttributeValues={":t": {"BOOL": True}},
        ),
    ]
    for call in calls:
        fast, shipped = both_ways(call)
        assert fast == shipped
    ddb.put_item(TableName="t", Item=EVERY_TYPE)
    fast = ddb.delete_item(TableName="t", Key=key, ReturnValues="ALL_OLD")
    ddb.put_item(TableName="t", Item=EVERY_TYPE)
    with moto_speedups.moto_as_shipped():
        shipped = ddb.delete_item(TableName="t", Key=key, ReturnValues="ALL_OLD")
    fast.pop("ResponseMetadata")
    shipped.pop("ResponseMetadata")
    assert fast == shipped
    assert fast["Attributes"]["binary"] == {"B": b"\x00\xffbytes"}


def test_change_records_are_what_moto_serializes(ddb):
    ddb.put_item(TableName="t", Item=EVERY_TYPE)
    ddb.delete_item(TableName="t", Key={"p": {"S": "all"}, "s": {"N": "1"}})
    streams = boto3.client("dynamodbstreams")
    arn = ddb.describe_table(TableName="t")["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]

    def read():
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        answer = streams.get_records(ShardIterator=iterator, Limit=10)
        answer.pop("NextShardIterator")  # a fresh random one each time
        return answer

    fast, shipped = both_ways(read)
    assert fast == shipped
    assert [r["eventName"] for r in fast["Records"]] == ["INSERT", "REMOVE"]
