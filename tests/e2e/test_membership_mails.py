"""Membership mails over the whole local stack: an application over HTTP is answered by a
receipt with its reference, an approval by a welcome with the member number, both sent by the
change-stream function through SES's local stand-in and found in ``GET /_local/mail``."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from local_aws.cli import LocalStack
from tests.samples import JSON_APPLICATION

pytestmark = pytest.mark.e2e


def mails_to(client: httpx.Client, address: str) -> list[dict[str, Any]]:
    answer = client.get("/_local/mail", params={"format": "json", "to": address})
    assert answer.status_code == 200, answer.text
    return answer.json()


def wait_for_mail(client: httpx.Client, address: str, word: str, timeout: float = 20.0):
    """The newest mail to ``address`` whose subject has ``word``, once the stream brought it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in mails_to(client, address) if word in m["subject"]]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no mail about {word!r} to {address} within {timeout} s")


def test_an_applicant_gets_a_receipt_and_after_the_approval_a_welcome(tmp_path):
    address = "mail-e2e@example.org"
    with (
        LocalStack(data_dir=tmp_path / "data", port=0) as stack,
        httpx.Client(base_url=stack.base_url, timeout=30) as client,
    ):
        applied = client.post(
            "/membership/applications?lang=en", json={**JSON_APPLICATION, "email": address}
        )
        assert applied.status_code == 202, applied.text
        member_id, reference = applied.json()["application_id"], applied.json()["reference"]

        receipt = wait_for_mail(client, address, "received")
        assert reference in receipt["subject"] and reference in receipt["text"]
        assert receipt["text"].startswith("Dear Erika Mustermann,")
        assert f"<strong>{reference}</strong>" in receipt["html"]

        token = stack.issue_token(groups=("staff",))
        approved = client.post(
            f"/staff/members/{member_id}/approve", headers={"Authorization": f"Bearer {token}"}
        )
        assert approved.status_code == 200, approved.text
        number = approved.json()["member_number"]

        welcome = wait_for_mail(client, address, "Welcome")
        assert f"member number {number}" in welcome["subject"]
        assert f"Your member number: {number}" in welcome["text"]
        assert stack.wait_for_projections(10)
        assert len(mails_to(client, address)) == 2, "each mail once"


def test_a_restart_that_rebuilds_the_views_sends_no_mail_again(tmp_path):
    """The views are rebuilt by replaying every commit through the change stream; the ledger
    lives in the event-store table (journaled), so the mailer knows what it sent already."""
    address = "restart@example.org"
    data_dir = tmp_path / "data"
    with (
        LocalStack(data_dir=data_dir, port=0) as stack,
        httpx.Client(base_url=stack.base_url, timeout=30) as client,
    ):
        assert (
            client.post(
                "/membership/applications", json={**JSON_APPLICATION, "email": address}
            ).status_code
            == 202
        )
        wait_for_mail(client, address, "Mitgliedsantrag")
        assert stack.wait_for_projections(10)
    with (
        LocalStack(data_dir=data_dir, port=0, rebuild_views=True) as stack,
        httpx.Client(base_url=stack.base_url, timeout=30) as client,
    ):
        assert stack.wait_for_projections(20)
        token = stack.issue_token(groups=("staff",))
        listed = client.get(
            "/staff/members?status=applied", headers={"Authorization": f"Bearer {token}"}
        ).json()
        assert [m["email"] for m in listed["members"]] == [address]  # rebuilt
        assert len(mails_to(client, address)) == 1, "the receipt once, not again"
