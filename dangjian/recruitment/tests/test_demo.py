"""seed_demo shows the pipeline at work: people at every stage, and a second run adds nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from dangjian.recruitment.choices import Stage
from dangjian.recruitment.models import Candidate, DevelopmentStep

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_people_at_every_stage_once():
    call_command("seed_demo", "--members", "300", "--force", stdout=io.StringIO())
    stages = set(Candidate.objects.values_list("stage", flat=True))
    assert {Stage.APPLICANT, Stage.ACTIVIST, Stage.TARGET, Stage.PROBATIONARY, Stage.FULL} <= stages
    assert Candidate.objects.filter(member__isnull=False).exists()
    steps = DevelopmentStep.objects.count()
    call_command("seed_demo", "--members", "300", "--force", stdout=io.StringIO())
    assert DevelopmentStep.objects.count() == steps
