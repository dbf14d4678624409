"""The fee schedule: which version is in force on a day, the decider's rules, the use cases
(idempotency, head cache), reading versions from scripts and forms, showing amounts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.samples import MAPPER
from verein.eventstore import CommandContext
from verein.eventstore.cache import HeadCachingEventStore
from verein.eventstore.memory import InMemoryEventStore
from verein.fees.commands import SetFeeSchedule
from verein.fees.decider import decide, fee_decider
from verein.fees.domain_events import DOMAIN_EVENTS, FeeScheduleSet
from verein.fees.schedule import FeeSchedule, FeeType, ScheduleVersion
from verein.fees.streams import STREAM_ID
from verein.fees.usecases import IdempotencyKeyReused, fee_schedule, set_fee_schedule
from verein.fees.web.values import InputError, amount, cents_of, day_text, euros, read_version
from verein.kernel.errors import DomainRuleViolated
from verein.kernel.keyed_hash import KeyedHash

KEYS = KeyedHash(b"k" * 32)
STAFF = CommandContext(correlation_id="c", actor="staff:anna")
SMALL = FeeType(
    code="company-s", label_de="Firma klein", label_en="Small company", yearly_fee_cents=12000
)
INDIVIDUAL = FeeType(
    code="individual", label_de="Einzelperson", label_en="Individual", yearly_fee_cents=6000
)
HONORARY = FeeType(
    code="honorary", label_de="Ehrenmitglied", label_en="Honorary member", yearly_fee_cents=0
)


def version(day: str, *types: FeeType) -> ScheduleVersion:
    return ScheduleVersion(effective_from=date.fromisoformat(day), types=types or (SMALL,))


def raised(small_fee: int) -> FeeType:
    return SMALL.model_copy(update={"yearly_fee_cents": small_fee})


# --- the schedule ---------------------------------------------------------------------------

SCHEDULE = FeeSchedule(
    versions=(
        version("2027-01-01", raised(15000), INDIVIDUAL, HONORARY),
        version("2025-01-01", SMALL, INDIVIDUAL),
        version("2026-01-01", raised(13000), INDIVIDUAL, HONORARY),
    )
)


def test_versions_are_kept_oldest_first_and_one_per_day():
    assert [v.effective_from.year for v in SCHEDULE.versions] == [2025, 2026, 2027]
    with pytest.raises(ValueError, match="two versions for one day"):
        FeeSchedule(versions=(version("2025-01-01"), version("2025-01-01", INDIVIDUAL)))


@pytest.mark.parametrize(
    ("day", "in_force"),
    [
        ("2024-12-31", None),  # before the first version
        ("2025-01-01", 2025),  # its first day
        ("2025-12-31", 2025),  # its last day
        ("2026-01-01", 2026),
        ("2026-12-31", 2026),
        ("2027-01-01", 2027),
        ("2090-06-30", 2027),  # the latest one stays in force
    ],
)
def test_on_is_the_latest_version_that_took_effect_by_that_day(day, in_force):
    found = SCHEDULE.on(date.fromisoformat(day))
    assert (found.effective_from.year if found else None) == in_force


def test_fees_and_labels_of_a_day():
    assert SCHEDULE.fee_cents("company-s", date(2025, 12, 31)) == 12000
    assert SCHEDULE.fee_cents("company-s", date(2026, 1, 1)) == 13000
    assert SCHEDULE.fee_cents("honorary", date(2026, 1, 1)) == 0  # 0 is a fee, not None
    assert SCHEDULE.fee_cents("honorary", date(2025, 6, 1)) is None  # not a type yet
    assert SCHEDULE.fee_cents("company-s", date(2024, 6, 1)) is None  # nothing in force
    assert SCHEDULE.label("honorary", "de", date(2027, 1, 1)) == "Ehrenmitglied"
    assert SCHEDULE.label("honorary", "en", date(2027, 1, 1)) == "Honorary member"
    assert SCHEDULE.label("gone", "en", date(2027, 1, 1)) is None


def test_upcoming_past_and_until():
    day = date(2026, 3, 1)
    assert [v.effective_from.year for v in SCHEDULE.upcoming(day)] == [2027]
    assert [v.effective_from.year for v in SCHEDULE.past(day)] == [2025]
    assert SCHEDULE.upcoming(date(2027, 1, 1)) == ()
    assert [v.effective_from.year for v in SCHEDULE.past(date(2027, 1, 1))] == [2026, 2025]
    assert SCHEDULE.past(date(2024, 1, 1)) == ()
    first, _, last = SCHEDULE.versions
    assert SCHEDULE.until(first) == date(2026, 1, 1)
    assert SCHEDULE.until(last) is None


def test_a_version_for_a_day_that_has_one_replaces_it():
    replaced = SCHEDULE.with_version(version("2026-01-01", HONORARY))
    assert len(replaced.versions) == 3
    assert replaced.on(date(2026, 5, 1)).types == (HONORARY,)
    added = SCHEDULE.with_version(version("2026-07-01", HONORARY))
    assert [str(v.effective_from) for v in added.versions][1:3] == ["2026-01-01", "2026-07-01"]


def test_fee_types_keep_to_their_shape():
    for code in ("", "Firma", "1st", "-a", "a" * 41, "a_b", "a b"):
        with pytest.raises(ValueError):
            FeeType(code=code, label_de="x", label_en="x", yearly_fee_cents=0)
    with pytest.raises(ValueError):
        FeeType(code="a", label_de="x", label_en="x", yearly_fee_cents=-1)
    assert FeeType(code="a" * 40, label_de="x", label_en="y", yearly_fee_cents=0).label("en") == "y"


days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@given(st.lists(days, max_size=12, unique=True), days)
def test_on_agrees_with_its_definition_for_any_schedule_and_day(starts, day):
    """The version in force is the one with the latest date not after the day; exactly the
    versions before it are past and those after the day upcoming."""
    schedule = FeeSchedule(
        versions=tuple(version(d.isoformat(), raised(n)) for n, d in enumerate(starts))
    )
    earlier = [d for d in starts if d <= day]
    found = schedule.on(day)
    assert (found.effective_from if found else None) == (max(earlier) if earlier else None)
    if found:
        assert schedule.fee_cents("company-s", day) == starts.index(found.effective_from)
        assert found.effective_from <= day
        until = schedule.until(found)
        assert until is None or until > day
    assert {v.effective_from for v in schedule.upcoming(day)} == {d for d in starts if d > day}
    assert len(schedule.past(day)) == max(len(earlier) - 1, 0)


# --- the decider ----------------------------------------------------------------------------


def test_setting_a_version_records_it():
    command = SetFeeSchedule(effective_from=date(2027, 1, 1), types=(SMALL, HONORARY))
    (event,) = decide(command, FeeSchedule())
    assert event == FeeScheduleSet(effective_from=date(2027, 1, 1), types=(SMALL, HONORARY))
    state = fee_decider.evolve(FeeSchedule(), event)
    assert state.on(date(2027, 1, 1)).types == (SMALL, HONORARY)


def test_a_version_needs_a_type_and_each_code_once():
    with pytest.raises(DomainRuleViolated) as none:
        decide(SetFeeSchedule(effective_from=date(2027, 1, 1), types=()), FeeSchedule())
    assert (none.value.code, none.value.status) == ("fees.no_types", 422)
    twice = SetFeeSchedule(effective_from=date(2027, 1, 1), types=(SMALL, raised(1)))
    with pytest.raises(DomainRuleViolated) as duplicate:
        decide(twice, SCHEDULE)
    assert (duplicate.value.code, duplicate.value.status) == ("fees.duplicate_code", 422)


def test_setting_the_version_a_day_has_replaces_it_and_is_recorded_even_if_equal():
    """Never "nothing to do": that answer, decided on a stale cached head, would skip the
    conditional write that proves the state current."""
    same = SetFeeSchedule.of(SCHEDULE.versions[1])
    (event,) = decide(same, SCHEDULE)
    assert fee_decider.evolve(SCHEDULE, event) == SCHEDULE
    other = SetFeeSchedule(effective_from=date(2026, 1, 1), types=(HONORARY,))
    after = fee_decider.fold(SCHEDULE, decide(other, SCHEDULE))
    assert len(after.versions) == 3 and after.versions[1].types == (HONORARY,)


def test_the_decider_knows_every_domain_event_of_its_stream():
    assert set(fee_decider.evolvers) == set(DOMAIN_EVENTS)
    assert FeeScheduleSet.model_json_schema()["properties"].keys() == {"effective_from", "types"}
    assert not any(
        (field.json_schema_extra or {}).get("personal")  # type: ignore[union-attr]
        for field in FeeScheduleSet.model_fields.values()
    )


@given(st.lists(st.tuples(days, st.sampled_from([SMALL, INDIVIDUAL, HONORARY])), max_size=15))
def test_folding_any_sequence_of_settings_keeps_the_last_version_per_day(settings):
    state = FeeSchedule()
    for day, fee_type in settings:
        state = fee_decider.fold(
            state, decide(SetFeeSchedule(effective_from=day, types=(fee_type,)), state)
        )
    last = {day: fee_type for day, fee_type in settings}
    assert [v.effective_from for v in state.versions] == sorted(last)
    assert all(v.types == (last[v.effective_from],) for v in state.versions)


# --- the use cases --------------------------------------------------------------------------


def test_an_empty_schedule_reads_as_no_versions():
    assert fee_schedule(InMemoryEventStore(MAPPER)) == FeeSchedule()


def test_set_and_read_through_the_store_with_its_snapshot():
    store = InMemoryEventStore(MAPPER)
    done = set_fee_schedule(store, version("2026-01-01", SMALL, HONORARY), STAFF)
    assert not done.already_received
    set_fee_schedule(store, version("2027-01-01", raised(15000)), STAFF)
    schedule = fee_schedule(store)
    assert schedule.fee_cents("company-s", date(2026, 12, 31)) == 12000
    assert schedule.fee_cents("company-s", date(2027, 1, 1)) == 15000
    (first, second) = store.load(STREAM_ID)
    assert isinstance(second.payload, FeeScheduleSet)
    assert (first.metadata.actor, first.metadata.subject_id) == ("staff:anna", None)


def test_an_idempotency_key_sets_a_version_once_and_refuses_another_version():
    store = InMemoryEventStore(MAPPER)
    wanted = version("2026-01-01", SMALL)
    first = set_fee_schedule(store, wanted, STAFF, idempotency_key="k1", keyed_hash=KEYS)
    again = set_fee_schedule(store, wanted, STAFF, idempotency_key="k1", keyed_hash=KEYS)
    assert (first.already_received, again.already_received) == (False, True)
    assert again.schedule == first.schedule
    assert len(store.load(STREAM_ID)) == 1
    with pytest.raises(IdempotencyKeyReused):
        set_fee_schedule(
            store, version("2026-01-01", HONORARY), STAFF, idempotency_key="k1", keyed_hash=KEYS
        )
    assert len(store.load(STREAM_ID)) == 1
    with pytest.raises(ValueError, match="keyed hash"):
        set_fee_schedule(store, wanted, STAFF, idempotency_key="k2")


def test_a_broken_rule_stores_nothing():
    store = InMemoryEventStore(MAPPER)
    with pytest.raises(DomainRuleViolated):
        set_fee_schedule(store, version("2026-01-01", SMALL, raised(1)), STAFF)
    assert store.load(STREAM_ID) == []


def test_a_reader_with_a_stale_cached_head_still_sees_versions_set_elsewhere():
    """Two execution environments (each its own head cache) on one table."""
    table = InMemoryEventStore(MAPPER)
    here, there = HeadCachingEventStore(table), HeadCachingEventStore(table)
    set_fee_schedule(here, version("2026-01-01", SMALL), STAFF)
    assert len(fee_schedule(here).versions) == 1  # cached from here on
    set_fee_schedule(there, version("2027-01-01", HONORARY), STAFF)
    set_fee_schedule(there, version("2028-01-01", INDIVIDUAL), STAFF)
    assert [v.effective_from.year for v in fee_schedule(here).versions] == [2026, 2027, 2028]
    # and a decision here, on the stale head, retries on the fresh one and loses nothing
    set_fee_schedule(here, version("2029-01-01", SMALL), STAFF)
    assert len(fee_schedule(there).versions) == 4


# --- reading versions (API and form) and showing them ----------------------------------------


def test_a_version_is_read_from_a_scripts_values():
    read = read_version(
        "2027-01-01",
        [
            {
                "code": "company-s",
                "label_de": " Firma klein ",
                "label_en": "Small company",
                "yearly_fee": "120.00",
            },
            {"code": "honorary", "label_de": "Ehren", "label_en": "Honorary", "yearly_fee": 0},
            {
                "code": "individual",
                "label_de": "Einzel",
                "label_en": "Single",
                "yearly_fee": 60.5,
                "extra": "ignored",
            },
        ],
    )
    assert isinstance(read, ScheduleVersion)
    assert read.effective_from == date(2027, 1, 1)
    assert [(t.code, t.label_de, t.yearly_fee_cents) for t in read.types] == [
        ("company-s", "Firma klein", 12000),
        ("honorary", "Ehren", 0),
        ("individual", "Einzel", 6050),
    ]


@pytest.mark.parametrize(
    ("effective_from", "types", "expected"),
    [
        (None, None, {("effective_from", None), ("types", None)}),
        ("01.01.2027", [], {("effective_from", None), ("types", None)}),
        ("2027-02-30", "x", {("effective_from", None), ("types", None)}),
        (20270101, [1], {("effective_from", None), ("types", 0)}),
        (
            "2027-01-01",
            [{"code": "Firma", "label_de": "", "label_en": "\x1b", "yearly_fee": "1,234"}],
            {("code", 0), ("label_de", 0), ("label_en", 0), ("yearly_fee", 0)},
        ),
        (
            "2027-01-01",
            [
                {"code": "a", "label_de": "A", "label_en": "A", "yearly_fee": 1},
                {"code": "a", "label_de": "B", "label_en": "B", "yearly_fee": True},
            ],
            {("code", 1), ("yearly_fee", 1)},
        ),
    ],
)
def test_everything_wrong_is_named_with_its_field_and_row(effective_from, types, expected):
    read = read_version(effective_from, types)
    assert isinstance(read, list)
    assert {(e.field, e.row) for e in read} == expected
    assert all(isinstance(e, InputError) and e.key.startswith("fees.") for e in read)


def test_a_form_may_write_a_day_the_german_way():
    read = read_version(
        "1.1.2027",
        [{"code": "a", "label_de": "A", "label_en": "A", "yearly_fee": "0"}],
        form=True,
    )
    assert isinstance(read, ScheduleVersion) and read.effective_from == date(2027, 1, 1)
    assert isinstance(read_version("1.1.2027", [], form=False), list)


@pytest.mark.parametrize(
    ("sent", "cents"),
    [
        (0, 0),
        ("0", 0),
        (120, 12000),
        ("120", 12000),
        ("120.5", 12050),
        ("120,50", 12050),
        (120.5, 12050),
        (0.07, 7),
        (19.99, 1999),
        ("1000000", 100_000_000),
        (1e6, 100_000_000),
    ],
)
def test_amounts_in_euros_become_exact_cents(sent, cents):
    assert cents_of(sent) == cents


@pytest.mark.parametrize(
    "sent",
    [
        -1,
        "-1",
        0.001,
        "1.234",
        "1.200,00",
        " 12",
        "12 €",
        "",
        1_000_000.01,
        "1000001",
        1e300,
        float("nan"),
        float("inf"),
        True,
        None,
        [],
        {},
        "١٢",
    ],
)
def test_anything_else_is_not_an_amount(sent):
    with pytest.raises(ValueError):
        cents_of(sent)


@given(st.integers(min_value=0, max_value=100_000_000))
def test_amounts_shown_read_back_as_the_same_cents(cents):
    for language in ("de", "en"):
        assert cents_of(amount(cents, language)) == cents
    assert cents_of(cents / 100) == cents  # a float with two decimals survives JSON


def test_amounts_and_days_are_shown_the_german_and_the_english_way():
    assert euros(120000, "de") == "1.200,00\u00a0€"
    assert euros(120000, "en") == "€1,200.00"
    assert euros(5, "de") == "0,05\u00a0€"
    assert day_text(date(2027, 1, 1), "de") == "01.01.2027"
    assert day_text(date(2027, 1, 1), "en") == "1 January 2027"
    assert day_text(date(2027, 1, 1) - timedelta(days=1), "en") == "31 December 2026"
