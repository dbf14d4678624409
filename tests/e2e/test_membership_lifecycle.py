"""The membership lifecycle over the whole local stack, over real HTTP: apply, the receipt,
approve, find the member by search, the member's own notice by the mailed link, and the end
recorded by the nightly schedule; the address may then apply again."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlsplit

import httpx
import pytest

from local_aws.cli import LocalStack
from tests.e2e.test_membership_mails import wait_for_mail
from tests.samples import JSON_APPLICATION

pytestmark = pytest.mark.e2e


def test_apply_mail_approve_search_notice_end(tmp_path):
    address = "lifecycle-e2e@example.org"
    with (
        LocalStack(data_dir=tmp_path / "data", port=0) as stack,
        httpx.Client(base_url=stack.base_url, timeout=30) as client,
    ):
        staff = {"Authorization": f"Bearer {stack.issue_token(groups=('staff',))}"}
        application = {**JSON_APPLICATION, "email": address, "name": "Jürgen Müller"}
        applied = client.post("/membership/applications", json=application)
        assert applied.status_code == 202, applied.text
        member_id = applied.json()["application_id"]
        wait_for_mail(client, address, "eingegangen")

        approved = client.post(f"/staff/members/{member_id}/approve", headers=staff)
        assert approved.status_code == 200, approved.text
        wait_for_mail(client, address, "Willkommen")

        assert stack.wait_for_projections(20)
        found = client.get("/staff/members", params={"q": "Mueller"}, headers=staff).json()
        assert [m["member_id"] for m in found["members"]] == [member_id]

        asked = client.post("/membership/termination-requests", json={"email": address})
        assert asked.status_code == 202 and asked.json() == {"status": "requested"}
        link_mail = wait_for_mail(client, address, "Link")
        (link,) = [u for u in link_mail["links"] if "/membership/notice/" in u]
        assert link.startswith(stack.base_url)  # the stack's own address, not AWS's
        page = client.get(link)
        assert page.status_code == 200 and "Kündigung bestätigen" in page.text
        given = client.post(urlsplit(link).path, data={"lang": "de"})
        assert given.status_code == 303
        confirmation = wait_for_mail(client, address, "Bestätigung Ihrer Kündigung")
        detail = client.get(f"/staff/members/{member_id}", headers=staff).json()
        assert detail["status"] == "terminating"
        ends_on = date.fromisoformat(detail["history"][-1]["data"]["ends_on"])
        assert ends_on.strftime("%Y") in confirmation["text"]

        on_last_day = client.post(
            f"/_local/schedules/ScheduledFunction?today={ends_on.isoformat()}"
        )
        assert on_last_day.status_code == 200, on_last_day.text
        assert client.get(f"/staff/members/{member_id}", headers=staff).json()["status"] == (
            "terminating"
        )
        after = (ends_on + timedelta(days=1)).isoformat()
        assert client.post(f"/_local/schedules/ScheduledFunction?today={after}").status_code == 200
        ended = client.get(f"/staff/members/{member_id}", headers=staff).json()
        assert ended["status"] == "ended"
        assert ended["history"][-1]["actor"] == "system:schedule"

        again = client.post("/membership/applications", json=application)
        assert again.status_code == 202 and again.json()["application_id"] != member_id
