"""Objects for the isolation walker (tests/test_scope_isolation.py): records, files and check-in
tokens under branch BB11 (outside charlie's and bob's subtrees) and under BA11 (inside)."""

from __future__ import annotations

from typing import Any

from dangjian.meetings.models import MeetingFile
from dangjian.meetings.services import checkin_token

from .factories import make_meeting

KWARG_KINDS = {
    ("meetings", "pk"): "meeting",
    ("meetings", "org_id"): "org",
    ("meetings", "file_id"): "meeting_file",
    ("meetings", "token"): "checkin_token",
    ("api", "meeting_id"): "meeting",
}


def build(world: Any) -> dict[str, tuple[list[Any], Any]]:
    outside = make_meeting(world.branch_b1_1, topic="乙一社区第一网格党支部主题党日", checkin_nonce="b" * 32, checkin_code="111111")
    inside = make_meeting(world.branch_a1_1, topic="甲侧主题党日", checkin_nonce="a" * 32, checkin_code="222222")
    files = {}
    for side, meeting in (("out", outside), ("in", inside)):
        # a name only: the walker never opens a file (outsiders get 404 before any read)
        files[side] = MeetingFile.objects.create(
            meeting=meeting, kind="photo", file=f"meetings/walker/{side}.png", original_name=f"{side}.png", size=1
        )
    return {
        "meeting": ([outside.pk], inside.pk),
        "meeting_file": ([files["out"].pk], files["in"].pk),
        "checkin_token": ([checkin_token(outside)], checkin_token(inside)),
    }
