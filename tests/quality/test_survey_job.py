"""The nightly satisfaction-survey job: who is invited, once; reminders, expiry, opt-outs,
the semester window; twice for one date, concurrently, and after a crash halfway."""

import datetime as dt
from unittest import mock

import pytest
from django.core.management import call_command

from logistics.models import JobRun, Notification
from logistics.nightly import Outcome, run_job
from quality import surveys
from quality.jobs import satisfaction_surveys
from quality.models import Scorecard, SurveyInvitation, SurveyOptOut, SurveyTemplate
from tests import factories as f
from tests.conftest import requires_postgres
from tests.quality.survey_data import DAY, cleared_move_out, closed_ticket, world
from tests.threads import race

JOB = "quality.satisfaction_surveys"


def invited():
    return sorted(SurveyInvitation.objects.values_list("service", "user_id"))


@pytest.mark.django_db
def test_the_reporter_of_each_repair_closed_on_the_day_is_invited_once():
    w = world(residents=3)
    a, b, c = w["residents"]
    a.user.email = "a@example.cn"
    a.user.save()
    confirmed = closed_ticket(a, w["technician"])
    auto = closed_ticket(b, w["technician"], auto_confirmed=True)
    closed_ticket(c, w["technician"], day=DAY - dt.timedelta(days=1))  # the day before
    f.ticket(room=w["rooms"][0], reporter=c.user, status="done")  # not confirmed yet

    call_command("run_nightly_jobs", "--date", DAY.isoformat(), "--job", JOB)
    call_command("run_nightly_jobs", "--date", DAY.isoformat(), "--job", JOB)

    assert invited() == sorted(
        [(f"ticket:{confirmed.pk}", a.user_id), (f"ticket:{auto.pk}", b.user_id)]
    )
    invitation = SurveyInvitation.objects.get(user=a.user)
    assert invitation.technician_id == w["technician"].pk
    assert invitation.department == w["maintenance"]
    assert invitation.building_id == w["building"].pk
    assert invitation.expires_on == DAY + dt.timedelta(days=14)
    # in the inbox, with the link, and due by e-mail for the one with an address
    note = Notification.objects.get(recipient=a.user, kind="quality.survey_repair")
    assert note.url == f"/s/{invitation.token}/"
    assert note.params == {"number": str(confirmed.pk)}
    assert note.email_due_at is not None  # the outbox sends it
    assert Notification.objects.get(recipient=b.user).email_due_at is None
    assert JobRun.objects.filter(job=JOB, for_date=DAY, status="succeeded").count() == 1


@pytest.mark.django_db
def test_a_move_out_cleared_on_the_day_invites_its_resident_once():
    w = world(residents=2)
    request = cleared_move_out(w["residents"][0])

    satisfaction_surveys(DAY)
    satisfaction_surveys(DAY)

    assert invited() == [(f"move_out:{request.pk}", w["residents"][0].user_id)]
    assert SurveyInvitation.objects.get().department == w["apartments"]


@pytest.mark.django_db
def test_a_person_who_declined_the_survey_is_not_invited_again():
    w = world(residents=1)
    resident = w["residents"][0]
    SurveyOptOut.objects.create(
        user=resident.user, template=SurveyTemplate.objects.get(code="repair")
    )
    closed_ticket(resident, w["technician"])

    satisfaction_surveys(DAY)

    assert invited() == []


@pytest.mark.django_db
def test_reminders_after_the_days_set_once_and_expired_invitations_closed(settings):
    settings.SURVEY_REMINDER_DAYS = 3
    w = world(residents=2)
    first, second = w["residents"]
    closed_ticket(first, w["technician"])
    satisfaction_surveys(DAY)
    invitation = SurveyInvitation.objects.get()

    satisfaction_surveys(DAY + dt.timedelta(days=2))
    assert not Notification.objects.filter(kind="quality.survey_reminder").exists()
    satisfaction_surveys(DAY + dt.timedelta(days=3))
    satisfaction_surveys(DAY + dt.timedelta(days=4))
    reminders = Notification.objects.filter(kind="quality.survey_reminder")
    assert list(reminders.values_list("recipient_id", "url")) == [
        (first.user_id, f"/s/{invitation.token}/")
    ]
    invitation.refresh_from_db()
    assert invitation.reminded_on == DAY + dt.timedelta(days=3)

    # an answered invitation is not reminded
    closed_ticket(second, w["technician"], day=DAY + dt.timedelta(days=5))
    satisfaction_surveys(DAY + dt.timedelta(days=5))
    other = SurveyInvitation.objects.get(user=second.user)
    SurveyInvitation.objects.filter(pk=other.pk).update(status="answered")
    satisfaction_surveys(DAY + dt.timedelta(days=9))
    assert reminders.count() == 1

    # past its last day, closed
    satisfaction_surveys(invitation.expires_on)
    invitation.refresh_from_db()
    assert invitation.status == "open"
    satisfaction_surveys(invitation.expires_on + dt.timedelta(days=1))
    invitation.refresh_from_db()
    assert invitation.status == "expired"
    assert SurveyInvitation.objects.get(pk=other.pk).status == "answered"


@pytest.mark.django_db
def test_the_semester_window_invites_a_share_of_each_building_once():
    w = world(residents=8)
    other_building = f.BuildingFactory(campus=w["campus"])
    room = f.RoomFactory(building=other_building)
    others = [f.resident_living_in(room) for _ in range(4)]
    auditor = f.user_with_role("auditor", username="aud")
    window = surveys.window_create(
        actor=auditor,
        title="2026秋季学期调查",
        title_en="Autumn 2026 survey",
        start=DAY,
        end=DAY + dt.timedelta(days=20),
        default_share=100,
        shares={other_building.pk: 0},
    )

    satisfaction_surveys(DAY - dt.timedelta(days=1))  # before the window: nobody
    assert not SurveyInvitation.objects.exists()
    satisfaction_surveys(DAY)
    satisfaction_surveys(DAY + dt.timedelta(days=1))

    users = set(SurveyInvitation.objects.values_list("user_id", flat=True))
    assert users == {r.user_id for r in w["residents"]}
    assert not users & {r.user_id for r in others}
    assert set(SurveyInvitation.objects.values_list("expires_on", flat=True)) == {window.end}
    assert Notification.objects.filter(kind="quality.survey_semester").count() == 8


@pytest.mark.django_db
def test_a_sample_share_is_stable_between_runs():
    world(residents=40)
    auditor = f.user_with_role("auditor", username="aud")
    surveys.window_create(actor=auditor, title="抽样", start=DAY, end=DAY, default_share=50)
    satisfaction_surveys(DAY)
    first = invited()
    SurveyInvitation.objects.all().delete()
    satisfaction_surveys(DAY)
    assert invited() == first
    assert 8 <= len(first) <= 32  # about half of 40


@pytest.mark.django_db
def test_the_job_recomputes_the_months_scorecards():
    world(residents=1)
    satisfaction_surveys(DAY)
    assert set(Scorecard.objects.values_list("period", flat=True)) == {"2026-11"}


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_invite_every_eligible_person_exactly_once():
    w = world(residents=6)
    tickets = [closed_ticket(r, w["technician"]) for r in w["residents"][:4]]
    moves = [cleared_move_out(r) for r in w["residents"][4:]]

    # Through the engine: one works, the others find it running or done.
    outcomes = race(3, lambda i: run_job(JOB, DAY, trigger=f"starter-{i}"))
    assert [o.state for o in outcomes].count("succeeded") == 1
    # And the work itself four times at once without the engine's lock.
    race(4, lambda i: satisfaction_surveys(DAY))

    expected = [(f"ticket:{t.pk}", t.reporter_id) for t in tickets] + [
        (f"move_out:{m.pk}", m.resident.user_id) for m in moves
    ]
    assert invited() == sorted(expected)
    assert Notification.objects.filter(kind__startswith="quality.survey_").count() == 6


@pytest.mark.django_db
def test_a_run_that_crashes_between_batches_is_completed_by_the_next_with_nobody_twice():
    w = world(residents=4)
    tickets = [closed_ticket(r, w["technician"]) for r in w["residents"][:2]]
    moves = [cleared_move_out(r) for r in w["residents"][2:]]

    # The repairs' batch commits; then the worker dies before the move-outs.
    with (
        mock.patch.object(surveys, "invite_move_outs", side_effect=KeyboardInterrupt),
        pytest.raises(KeyboardInterrupt),
    ):
        run_job(JOB, DAY, trigger="test")
    assert JobRun.objects.get(job=JOB, for_date=DAY).status == JobRun.Status.FAILED
    assert len(invited()) == 2

    rerun = run_job(JOB, DAY, trigger="test")
    assert rerun.state == JobRun.Status.SUCCEEDED
    expected = [(f"ticket:{t.pk}", t.reporter_id) for t in tickets] + [
        (f"move_out:{m.pk}", m.resident.user_id) for m in moves
    ]
    assert invited() == sorted(expected)
    assert Notification.objects.filter(kind__startswith="quality.survey_").count() == 4
    assert run_job(JOB, DAY, trigger="test").state == Outcome.ALREADY_DONE


@pytest.mark.django_db
def test_an_auditor_opens_a_window_on_its_page_and_the_night_invites_a_building(client):
    w = world(residents=3)
    auditor = f.user_with_role("auditor", username="aud")
    client.force_login(auditor)
    assert client.get("/quality/surveys/windows/").status_code == 200
    page = client.post(
        "/quality/surveys/windows/",
        {
            "title": "秋季学期调查",
            "start": DAY.isoformat(),
            "end": (DAY + dt.timedelta(days=10)).isoformat(),
            "population": "residents",
            "default_share": "0",
            f"share_{w['building'].pk}": "100",
        },
    )
    assert page.status_code == 302
    window = surveys.SurveyWindow.objects.get()
    assert (window.default_share, window.shares) == (0, {str(w["building"].pk): 100})

    satisfaction_surveys(DAY)

    assert set(SurveyInvitation.objects.values_list("user_id", flat=True)) == {
        r.user_id for r in w["residents"]
    }
    assert (
        '<td class="text-end" data-testid="window-invited">3</td>'
        in client.get("/quality/surveys/windows/").content.decode()
    )
    bad = client.post("/quality/surveys/windows/", {"title": "x", "start": "tomorrow"})
    assert bad.status_code == 400
    # only auditors
    client.force_login(w["head"])
    assert client.get("/quality/surveys/windows/").status_code == 404


@pytest.mark.django_db
def test_a_window_of_residents_and_staff_invites_both_once_each():
    w = world(residents=2)
    auditor = f.user_with_role("auditor", username="aud")
    f.RoleGrantFactory(user=auditor, role="dorm_manager")  # two grants, one person
    surveys.window_create(
        actor=auditor, title="全员调查", start=DAY, end=DAY, population="everyone"
    )

    satisfaction_surveys(DAY)
    satisfaction_surveys(DAY)

    staff = {w["technician"].pk, w["head"].pk, auditor.pk}
    residents = {r.user_id for r in w["residents"]}
    assert sorted(SurveyInvitation.objects.values_list("user_id", flat=True)) == sorted(
        staff | residents
    )
