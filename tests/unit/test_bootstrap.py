"""The composition root: adapters built once each, given ones used, and the functions served
with whatever adapters they are handed (here in-memory ones: no backend, milliseconds)."""

import pytest

from local_aws.jwt_auth import LocalCognito
from tests.api_client import ApiClient, InProcessFunctions
from tests.samples import JSON_APPLICATION, MAPPER
from verein.bootstrap import Adapters
from verein.eventstore.memory import InMemoryEventStore
from verein.kernel.keyed_hash import KeyedHash
from verein.membership.intake import DirectApplicationIntake
from verein.membership.views.store import InMemoryMemberViews
from verein.settings import Settings


def in_memory() -> Adapters:
    store, keyed_hash = InMemoryEventStore(MAPPER), KeyedHash(b"k" * 32)
    return Adapters(
        Settings.from_environment(),
        event_store=store,
        member_views=InMemoryMemberViews(),
        keyed_hash=keyed_hash,
        application_intake=DirectApplicationIntake(store, keyed_hash),
    )


def test_each_adapter_is_built_once_and_adapters_share_nothing(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")  # clients are made, never called
    first, second = Adapters(Settings.from_environment()), Adapters(Settings.from_environment())
    assert first.member_views is first.member_views
    assert first.dynamodb is first.member_views._client
    assert first.dynamodb is not second.dynamodb
    assert first.dispatcher is first.dispatcher


def test_given_adapters_are_used_and_what_is_built_uses_them():
    adapters = in_memory()
    (projection,) = adapters.projections
    assert projection.name == "membership.directory"
    assert projection._store is adapters.event_store
    assert projection._views is adapters.member_views
    assert "dynamodb" not in vars(adapters), "nothing needed a DynamoDB client"


def test_a_missing_setting_fails_when_the_adapters_are_made(monkeypatch):
    monkeypatch.delenv("MEMBERSHIP_INTAKE_FUNCTION")
    with pytest.raises(Exception, match="MEMBERSHIP_INTAKE_FUNCTION"):
        Adapters.from_environment(("MEMBERSHIP_INTAKE_FUNCTION",))


def test_the_functions_serve_with_the_adapters_they_are_given(template, tmp_path):
    adapters = in_memory()
    functions = InProcessFunctions(template, dict.fromkeys(template.functions, adapters))
    api = ApiClient(template, "", LocalCognito(tmp_path), functions)

    member_id = api.post_json("/membership/applications", JSON_APPLICATION).json()["application_id"]
    for stream in adapters.event_store.read_all():
        for projection in adapters.projections:
            projection.apply(stream.events)

    listed = api.staff_get("/staff/members?status=applied").json()["members"]
    assert [m["member_id"] for m in listed] == [member_id]
    assert api.post_note(member_id, "Rückruf").json()["version"] == 2
    history = api.staff_get(f"/staff/members/{member_id}").json()["history"]
    assert [h["event_type"] for h in history] == ["MembershipApplied", "MemberNoteAdded"]
