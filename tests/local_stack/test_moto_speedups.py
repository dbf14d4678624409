"""The local backend's faster Query and TransactWriteItems keep moto's (and DynamoDB's) semantics."""

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
