"""The directory (``MemberViews.directory``), checked against the in-memory fake and the views
table (embedded backend): by name, filters, search with and without umlauts, paging,
generations. Both adapters must list exactly the same members in the same order."""

from __future__ import annotations

import base64
import itertools
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verein.membership.domain_events import ContactPerson
from verein.membership.views.directory import DirectoryQuery, entry_of, search_text
from verein.membership.views.store import (
    NAME_INDEX,
    DynamoDBMemberViews,
    InMemoryMemberViews,
    InvalidCursor,
    MemberViews,
)
from verein.membership.views.summary import MemberSummary

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
DAY = date(2026, 6, 1)
NOW = 1_800_000_000.0
_KEYS = ("pk", "sk", "name_pk", "name_sk")


class PagesLikeDynamoDB:
    """A client whose Query pages end as DynamoDB's may: after at most ``page_size`` entries
    read (as if 1 MB were read), before the filter, with a LastEvaluatedKey whenever the page
    stopped there, also when no entry follows (the embedded backend, moto, reports one only if
    more follow)."""

    def __init__(self, client, page_size: int = 2) -> None:
        self._client = client
        self._page_size = page_size
        self.queries = 0

    def __getattr__(self, name):
        return getattr(self._client, name)

    def query(self, **request):
        if request["IndexName"] != NAME_INDEX:
            return self._client.query(**request)
        self.queries += 1
        cap = min(request.get("Limit", self._page_size), self._page_size)
        response = self._client.query(**{**request, "Limit": cap})
        if response["ScannedCount"] == cap and "LastEvaluatedKey" not in response:
            # where the page stopped, whether or not the filter let that entry through
            unfiltered = {
                k: v
                for k, v in request.items()
                if k not in ("FilterExpression", "ExpressionAttributeNames")
            }
            unfiltered["ExpressionAttributeValues"] = {
                ":p": request["ExpressionAttributeValues"][":p"]
            }
            read = self._client.query(**{**unfiltered, "Limit": cap})["Items"]
            response["LastEvaluatedKey"] = {k: read[-1][k] for k in _KEYS}
        return response


@pytest.fixture(
    params=[
        "memory",
        pytest.param("dynamodb", marks=pytest.mark.backend),
        pytest.param("dynamodb-short-pages", marks=pytest.mark.backend),
    ]
)
def views(request) -> Iterator[MemberViews]:
    if request.param == "memory":
        yield InMemoryMemberViews()
        return
    aws = request.getfixturevalue("aws")
    if request.param == "dynamodb":
        yield DynamoDBMemberViews(aws.dynamodb, aws.views_table)
    else:
        yield DynamoDBMemberViews(PagesLikeDynamoDB(aws.dynamodb), aws.views_table)


def member(
    name: str,
    n: int = 0,
    *,
    organisation: str | None = None,
    email: str | None = None,
    status: str = "active",
    membership_type: str = "individual",
    **fields,
) -> MemberSummary:
    return MemberSummary(
        member_id=str(uuid.UUID(int=n + 1)),
        status=status,
        applicant_name=name,
        email=email or f"m{n}@example.org",
        organisation=organisation,
        membership_type=membership_type,
        language="de",
        applied_at=T0 + timedelta(minutes=n),
        position=1,
        **fields,
    )


def save_all(views: MemberViews, members: list[MemberSummary], generation: int | None = None):
    for m in members:
        views.save(m, expected_position=0, generation=generation)


def names(views: MemberViews, query: DirectoryQuery | None = None, **kwargs) -> list[str]:
    page = views.directory(query or DirectoryQuery(day=DAY), **kwargs)
    return [e.name for e in page.entries]


def found(views: MemberViews, text: str) -> list[str]:
    return names(views, DirectoryQuery(text=text, day=DAY))


def all_pages(views: MemberViews, query: DirectoryQuery, limit: int, generation=None):
    pages: list[list[str]] = []
    after = None
    while True:
        page = views.directory(query, limit=limit, after=after, generation=generation)
        pages.append([e.member_id for e in page.entries])
        if page.next_cursor is None:
            return pages
        assert len(pages) < 200, "paging does not end"
        after = page.next_cursor


# --- order -----------------------------------------------------------------------------------


def test_everyone_is_listed_by_name_the_organisation_for_those_with_one(views):
    save_all(
        views,
        [
            member("Zoë Adler", 1, organisation="Bäckerei Zander"),
            member("Anna Zimmer", 2, status="applied"),
            member("Jörg Weiß", 3, status="withdrawn"),
            member("Ömer Yılmaz", 4, status="ended"),
            member("Ole Müller", 5, status="rejected"),
            member("Carla Mueller", 6, organisation="mueller & söhne"),
            member("Eva Meier", 7),
            member("Eva Meier", 0),  # the same name: by member id
        ],
    )
    page = views.directory(DirectoryQuery(day=DAY))
    assert [e.name for e in page.entries] == [
        "Anna Zimmer",
        "Bäckerei Zander",
        "Eva Meier",
        "Eva Meier",
        "Jörg Weiß",
        "mueller & söhne",  # case ignored, "&" left out
        "Ömer Yılmaz",  # Ö as Oe: before "Ole"
        "Ole Müller",
    ]
    assert [e.member_id for e in page.entries[2:4]] == [
        str(uuid.UUID(int=1)),
        str(uuid.UUID(int=8)),
    ]
    assert page.next_cursor is None


def test_umlauts_sort_as_their_spelling_with_e_and_shorter_names_first(views):
    save_all(
        views,
        [
            member("Müller", 1),
            member("Muller", 2),
            member("Mueller Anna", 3),
            member("Mueller", 4),
            member("Mülheim", 5),
            member("Straße", 6),
            member("Strasser", 7),
        ],
    )
    assert names(views) == [
        "Mülheim",  # as "Muelheim"
        "Müller",  # the same as "Mueller": by member id
        "Mueller",
        "Mueller Anna",
        "Muller",
        "Straße",
        "Strasser",
    ]


def test_a_changed_name_moves_in_the_directory(views):
    first = member("Anna Zimmer", 1)
    save_all(views, [first, member("Berta Bauer", 2)])
    views.save(first.model_copy(update={"applicant_name": "Clara Zimmer", "position": 2}), 1)
    assert names(views) == ["Berta Bauer", "Clara Zimmer"]
    views.save(
        first.model_copy(update={"organisation": "Aachener Druck", "position": 3}),
        expected_position=2,
    )
    assert names(views) == ["Aachener Druck", "Berta Bauer"]


# --- search ----------------------------------------------------------------------------------


@pytest.fixture
def people(views) -> MemberViews:
    save_all(
        views,
        [
            member("Jürgen Müller", 1, email="jm@example.org", member_number=17),
            member("Hans Mueller", 2, email="hans@mueller.example", member_number=171),
            member("Petra Muller", 3),
            member("Erika Schmidt", 4, organisation="Straßenbau Süd GmbH", email="info@sb.example"),
            member("Søren Ørsted", 5, email="soren@example.dk"),
            member(
                "Karl Klein",
                6,
                organisation="Klein AG",
                contacts=[ContactPerson(name="Doris Groß", email="doris@klein.example")],
            ),
            member("Michael Maier", 7, status="applied"),
        ],
    )
    return views


@pytest.mark.parametrize("text", ["Müller", "Mueller", "Muller", "MÜLLER", "mUeLlEr", " müller "])
def test_a_search_finds_a_name_with_or_without_umlauts(people, text):
    assert found(people, text) == ["Hans Mueller", "Jürgen Müller", "Petra Muller"]


@pytest.mark.parametrize("text", ["strasse", "Straße", "STRASSE", "strassenbau süd", "SUED"])
def test_a_search_finds_an_organisation_with_or_without_sharp_s(people, text):
    assert found(people, text) == ["Straßenbau Süd GmbH"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("soren", ["Søren Ørsted"]),
        ("Sören Orsted", ["Søren Ørsted"]),
        ("jürgen müller", ["Jürgen Müller"]),
        ("müller jürgen", ["Jürgen Müller"]),  # every word, in any order
        ("info@sb", ["Straßenbau Süd GmbH"]),  # e-mail address
        ("@MUELLER.example", ["Hans Mueller"]),
        ("gross", ["Klein AG"]),  # a contact person's name
        ("doris@klein", ["Klein AG"]),  # and address
        ("17", ["Hans Mueller", "Jürgen Müller"]),  # member numbers 17 and 171
        ("171", ["Hans Mueller"]),
        ("michael", ["Michael Maier"]),  # applicants too
        ("mich", ["Michael Maier"]),
        ("Müller Schmidt", []),  # every word must match
        ("Xaver", []),
    ],
)
def test_a_search_looks_in_names_organisations_addresses_contacts_and_numbers(
    people, text, expected
):
    assert found(people, text) == expected


@pytest.mark.parametrize("text", ["", "   ", "\t"])
def test_a_search_without_words_lists_everyone(people, text):
    assert len(found(people, text)) == 7


def test_an_empty_result_is_one_page_without_a_cursor(people):
    page = people.directory(DirectoryQuery(text="nobody by this name", day=DAY), limit=2)
    assert (page.entries, page.next_cursor) == ([], None)


# --- filters ---------------------------------------------------------------------------------


GROUP_A, GROUP_B = str(uuid.UUID(int=101)), str(uuid.UUID(int=102))


@pytest.fixture
def register(views) -> MemberViews:
    save_all(
        views,
        [
            member("Anna Active", 1, groups=[GROUP_A, GROUP_B], member_number=1),
            member("Ben Applied", 2, status="applied", membership_type="company"),
            member("Cleo Company", 3, membership_type="company-s", groups=[GROUP_B]),
            member(  # notice taken effect (last day before DAY): ended on DAY
                "Dora Done", 4, status="terminating", ends_on=DAY - timedelta(days=1)
            ),
            member(  # under notice, last day is DAY: still terminating
                "Emil Ending", 5, status="terminating", ends_on=DAY, groups=[GROUP_A]
            ),
            member("Fritz Former", 6, status="ended", ends_on=date(2025, 12, 31)),
            member(  # changes from individual to honorary after DAY
                "Gina Going",
                7,
                membership_type="honorary",
                type_since=DAY + timedelta(days=1),
                previous_type="individual",
            ),
            member(  # changed to company-s on DAY
                "Hugo Hopping",
                8,
                membership_type="company-s",
                type_since=DAY,
                previous_type="company",
                groups=[GROUP_A],
            ),
        ],
    )
    return views


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (DirectoryQuery(status="active"), ["Anna", "Cleo", "Gina", "Hugo"]),
        (DirectoryQuery(status="applied"), ["Ben"]),
        (DirectoryQuery(status="terminating"), ["Emil"]),
        (DirectoryQuery(status="ended"), ["Dora", "Fritz"]),
        (DirectoryQuery(status="rejected"), []),
        (DirectoryQuery(membership_type="individual"), ["Anna", "Dora", "Emil", "Fritz", "Gina"]),
        (DirectoryQuery(membership_type="company"), ["Ben"]),
        (DirectoryQuery(membership_type="company-s"), ["Cleo", "Hugo"]),
        (DirectoryQuery(membership_type="honorary"), []),
        (DirectoryQuery(group=GROUP_A), ["Anna", "Emil", "Hugo"]),
        (DirectoryQuery(group=GROUP_B), ["Anna", "Cleo"]),
        (DirectoryQuery(group=str(uuid.UUID(int=103))), []),
        (DirectoryQuery(status="active", group=GROUP_A), ["Anna", "Hugo"]),
        (DirectoryQuery(status="active", membership_type="company-s", text="hugo"), ["Hugo"]),
        (DirectoryQuery(status="active", text="ben"), []),
        (DirectoryQuery(membership_type="individual", group=GROUP_A, text="end"), ["Emil"]),
    ],
)
def test_filters_by_status_type_and_group_as_they_are_on_the_day(register, query, expected):
    on_day = DirectoryQuery(
        status=query.status,
        membership_type=query.membership_type,
        group=query.group,
        text=query.text,
        day=DAY,
    )
    assert [n.split()[0] for n in names(register, on_day)] == expected


def test_the_day_decides_status_and_type(register):
    later = DAY + timedelta(days=1)
    assert names(register, DirectoryQuery(status="ended", day=later)) == [
        "Dora Done",
        "Emil Ending",
        "Fritz Former",
    ]
    assert names(register, DirectoryQuery(membership_type="honorary", day=later)) == ["Gina Going"]
    before = DAY - timedelta(days=1)
    assert names(register, DirectoryQuery(membership_type="company", day=before)) == [
        "Ben Applied",
        "Hugo Hopping",
    ]


# --- paging ----------------------------------------------------------------------------------


def crowd(views: MemberViews, count: int = 13, generation: int | None = None) -> None:
    # names that collide after folding, umlauts, organisations, statuses, types and groups
    firsts = ["Müller", "Mueller", "Muller", "Straße", "Strasse", "Åsa", "Zoë", "Anna", "Ölçer"]
    statuses = ["active", "applied", "terminating", "ended", "rejected", "withdrawn"]
    save_all(
        views,
        [
            member(
                f"{firsts[n % len(firsts)]} {n % 4}",
                n,
                organisation=f"Firma {n % 3}" if n % 5 == 0 else None,
                status=statuses[n % len(statuses)],
                membership_type=("company", "individual", "company-s")[n % 3],
                groups=[GROUP_A] if n % 2 else [],
                ends_on=DAY if n % len(statuses) == 2 else None,
            )
            for n in range(count)
        ],
        generation,
    )


QUERIES = [
    DirectoryQuery(day=DAY),
    DirectoryQuery(status="active", day=DAY),
    DirectoryQuery(group=GROUP_A, day=DAY),
    DirectoryQuery(text="muller", day=DAY),
    DirectoryQuery(text="strasse 1", membership_type="individual", day=DAY),
    DirectoryQuery(text="nobody", day=DAY),
]


@pytest.mark.parametrize("limit", [1, 2, 5, 100])
@pytest.mark.parametrize("query", QUERIES, ids=range(len(QUERIES)))
def test_paging_lists_every_match_once_in_order_and_ends_without_an_empty_page(views, query, limit):
    crowd(views)
    everyone = views.directory(query, limit=100)
    assert everyone.next_cursor is None
    pages = all_pages(views, query, limit)
    listed = [m for page in pages for m in page]
    assert listed == [e.member_id for e in everyone.entries]
    assert len(set(listed)) == len(listed)
    # full pages, and no empty page after the last one (but one empty page for no match)
    count = len(listed)
    assert [len(p) for p in pages] == (
        [min(limit, count - i) for i in range(0, count, limit)] or [0]
    )


def test_a_cursor_is_a_position_and_members_saved_meanwhile_appear_after_it(views):
    save_all(views, [member("Anna", 1), member("Carl", 2), member("Emma", 3)])
    first = views.directory(DirectoryQuery(day=DAY), limit=2)
    assert [e.name for e in first.entries] == ["Anna", "Carl"]
    save_all(views, [member("Berta", 4), member("Dora", 5)])  # before and after the cursor
    rest = views.directory(DirectoryQuery(day=DAY), limit=2, after=first.next_cursor)
    assert [e.name for e in rest.entries] == ["Dora", "Emma"]


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor!",
        base64.urlsafe_b64encode(b"garbage").decode(),
        # a position by application date (``by_status``'s cursors)
        base64.urlsafe_b64encode(f"{T0.isoformat()}#{uuid.UUID(int=1)}".encode()).decode(),
        # a name that is not a sort name
        base64.urlsafe_b64encode(f"Anna #{uuid.UUID(int=1)}".encode()).decode(),
        base64.urlsafe_b64encode(f"anna#{uuid.UUID(int=1)}".encode()).decode(),
        base64.urlsafe_b64encode(f"{'a' * 61} #{uuid.UUID(int=1)}".encode()).decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_only_directory_cursors_are_taken(views, cursor):
    save_all(views, [member("Anna", 1)])
    with pytest.raises(InvalidCursor):
        views.directory(DirectoryQuery(day=DAY), after=cursor)


def test_a_directory_cursor_is_no_list_cursor_and_back(views):
    save_all(views, [member("Anna", 1, status="applied"), member("Berta", 2, status="applied")])
    by_name = views.directory(DirectoryQuery(day=DAY), limit=1).next_cursor
    by_date = views.by_status("applied", limit=1).next_cursor
    assert by_name and by_date
    with pytest.raises(InvalidCursor):
        views.by_status("applied", after=by_name)
    with pytest.raises(InvalidCursor):
        views.directory(DirectoryQuery(day=DAY), after=by_date)


def test_a_limit_below_one_is_refused(views):
    with pytest.raises(ValueError, match="limit"):
        views.directory(DirectoryQuery(day=DAY), limit=0)


# --- generations -----------------------------------------------------------------------------


def start_building(views: MemberViews) -> int:
    state = views.generations.read()
    views.generations.write(
        state, state.following(building=state.current + 1, owner="other", lease_until=NOW)
    )
    return state.current + 1


def test_each_generation_has_its_own_directory_and_drop_empties_it(views):
    save_all(views, [member("Anna Alt", 1)])
    building = start_building(views)
    views.put_many([member("Anna Neu", 1), member("Bert Neu", 2)], generation=building)
    assert names(views) == ["Anna Alt"]
    page = views.directory(DirectoryQuery(day=DAY), limit=1, generation=building)
    assert [e.name for e in page.entries] == ["Anna Neu"]
    # cursors name no generation: the page after goes on in whichever is asked for
    rest = views.directory(DirectoryQuery(day=DAY), after=page.next_cursor, generation=building)
    assert [e.name for e in rest.entries] == ["Bert Neu"]
    state = views.generations.read()
    views.generations.write(state, state.following(current=building, building=None, owner=None))
    assert names(views) == ["Anna Neu", "Bert Neu"]
    state = views.generations.read()
    views.generations.write(state, state.following(retired=1))
    views.drop(1)
    assert names(views, generation=1) == []
    assert names(views) == ["Anna Neu", "Bert Neu"]


# --- cost ------------------------------------------------------------------------------------


@pytest.mark.backend
def test_an_unfiltered_page_is_one_query_and_a_filtered_one_a_few(aws):
    client = PagesLikeDynamoDB(aws.dynamodb, page_size=1000)
    views = DynamoDBMemberViews(client, aws.views_table)
    crowd(views, count=60)
    page = views.directory(DirectoryQuery(day=DAY), limit=10)
    assert (len(page.entries), page.requests, client.queries) == (10, 1, 1)
    rare = views.directory(DirectoryQuery(text="nobody", day=DAY), limit=10)
    assert (rare.entries, rare.requests) == ([], 2)  # a page's worth, then up to 1 MB
    dense = views.directory(DirectoryQuery(status="active", day=DAY), limit=3)
    assert len(dense.entries) == 3 and dense.requests <= 2


# --- both adapters alike, for any members and any query --------------------------------------

_generations = itertools.count(100)
_words = st.sampled_from(["Müller", "Mueller", "Straße", "Søren", "Anna", "Zoë", "GmbH", "Ærø"])
_summaries = st.lists(
    st.builds(
        lambda n, name, org, status, kind: member(
            name, n, organisation=org, status=status, membership_type=kind
        ),
        st.integers(0, 10_000),
        st.lists(_words, min_size=1, max_size=3).map(" ".join),
        st.none() | st.lists(_words, min_size=1, max_size=2).map(" ".join),
        st.sampled_from(["active", "applied", "ended"]),
        st.sampled_from(["company", "individual"]),
    ),
    max_size=12,
    unique_by=lambda s: s.member_id,
)
_queries = st.builds(
    lambda status, kind, text: DirectoryQuery(
        status=status, membership_type=kind, text=text, day=DAY
    ),
    st.none() | st.sampled_from(["active", "applied"]),
    st.none() | st.sampled_from(["company", "individual"]),
    st.sampled_from(["", "muller", "MUELLER anna", "strasse", "soren", "zo", "gmbh aro"]),
)


@pytest.mark.backend
@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(summaries=_summaries, query=_queries, limit=st.integers(1, 5))
def test_the_table_pages_exactly_as_the_fake_lists(aws, summaries, query, limit):
    generation = next(_generations)  # a fresh one per example: no table to clear
    fake = InMemoryMemberViews()
    table = DynamoDBMemberViews(PagesLikeDynamoDB(aws.dynamodb, page_size=3), aws.views_table)
    for views in (fake, table):
        save_all(views, summaries, generation)
    expected = [m for page in all_pages(fake, query, 1000, generation) for m in page]
    assert [m for page in all_pages(table, query, limit, generation) for m in page] == expected
    matching = {s.member_id for s in summaries if query.matches(entry_of(s), search_text(s))}
    assert sorted(expected) == sorted(matching)
