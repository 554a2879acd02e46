"""The services the API and jobs layers call: behaviour beyond the rights matrix."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vidjil_kernel.db import SYSTEM, rights
from vidjil_kernel.db import services as svc
from vidjil_kernel.db.anonymise import age_on
from vidjil_kernel.db.models import (
    AuditEntry,
    Group,
    Job,
    Membership,
    Result,
    Right,
    Sample,
    SampleSet,
    User,
)
from vidjil_kernel.exceptions import Conflict, NotFound, PermissionDenied, UsageError


def _patient(session: Session, lab, **fields) -> int:
    values = dict(first_name="Jeanne", last_name="Martin", birth_date="1970-03-04",
                  info="diagnosis #mrd", id_label="P-001")
    values.update(fields)
    return svc.create_set(session, lab.clinician, "patient", "hemato", origin="10.0.0.1",
                          **values).id


def test_ensure_account_is_idempotent(session: Session) -> None:
    first = svc.ensure_account(session, "carol", "carol@lab.example")
    again = svc.ensure_account(session, "carol")
    assert first.id == again.id and again.email == "carol@lab.example"
    groups = session.scalars(select(Group.name).join(Membership).where(
        Membership.user_id == first.id).order_by(Group.name)).all()
    assert groups == ["public", "user:carol"]
    svc.ensure_account(session, "carol", admin=True)
    assert session.get(User, first.id).is_admin
    svc.ensure_account(session, "carol")
    assert session.get(User, first.id).is_admin, "admin=None must leave the flag alone"


def test_personal_group_lets_a_user_keep_sets_to_themselves(session: Session, lab) -> None:
    mine = svc.create_set(session, lab.student, "generic", "user:student", name="my cohort",
                          origin="test")
    assert [view.id for view in rights.readable_sets(session, lab.student).items] == [mine.id]
    assert rights.readable_sets(session, lab.clinician).total == 0


class TestAnonymisation:
    """Issue 3: without ``anon``, 3 letters of the last name and the age, in every output."""

    @pytest.fixture
    def patient(self, session: Session, lab) -> int:
        return _patient(session, lab)

    def _masked(self, view) -> None:
        assert view.label == "Mar"
        assert (view.first_name, view.last_name, view.birth_date) == (None, None, None)
        assert view.age == age_on(dt.date(1970, 3, 4), dt.date.today())
        assert "Jeanne" not in str(view.to_dict()) and "1970" not in str(view.to_dict())

    def test_with_anon_right_everything_shows(self, session: Session, lab,
                                              patient: int) -> None:
        view = svc.get_set(session, lab.clinician, patient)
        assert (view.label, view.first_name, view.birth_date) == (
            "Martin Jeanne", "Jeanne", dt.date(1970, 3, 4))

    def test_set_views(self, session: Session, lab, patient: int) -> None:
        self._masked(svc.get_set(session, lab.student, patient))
        self._masked(rights.readable_sets(session, lab.student).items[0])
        self._masked(rights.readable_sets(session, lab.student, kind="patient").items[0])

    def test_search_cannot_probe_hidden_names(self, session: Session, lab,
                                              patient: int) -> None:
        assert rights.readable_sets(session, lab.student, search="jeanne").total == 0
        assert rights.readable_sets(session, lab.student, search="martin").total == 0
        assert rights.readable_sets(session, lab.student, search="mar").total == 1
        assert rights.readable_sets(session, lab.clinician, search="JEANNE").total == 1

    def test_sample_views_name_their_sets_anonymised(self, session: Session, lab,
                                                     patient: int) -> None:
        sample = svc.add_sample(session, lab.clinician, [patient], original_name="dx.fq",
                                origin="test")
        assert sample.sets[0].label == "Martin Jeanne"
        assert svc.get_sample(session, lab.student, sample.id).sets[0].label == "Mar"
        listed = rights.readable_samples(session, lab.student, set_id=patient).items
        assert [ref.label for ref in listed[0].sets] == ["Mar"]

    def test_analysis_views_name_their_set_anonymised(self, session: Session, lab,
                                                      patient: int) -> None:
        config = svc.create_config(session, lab.clinician, "hemato", name="igh", origin="test")
        svc.save_analysis(session, lab.clinician, patient, config.id, {"clones": []},
                          origin="test")
        assert svc.get_analysis(session, lab.student, patient, config.id).set.label == "Mar"

    def test_a_user_without_read_sees_nothing(self, session: Session, lab,
                                              patient: int) -> None:
        assert rights.readable_sets(session, lab.stranger).total == 0
        with pytest.raises(PermissionDenied, match="'read' right on set"):
            svc.get_set(session, lab.stranger, patient)


@pytest.mark.parametrize(("born", "day", "age"), [
    (dt.date(2000, 3, 4), dt.date(2024, 3, 3), 23),
    (dt.date(2000, 3, 4), dt.date(2024, 3, 4), 24),
    (dt.date(2000, 2, 29), dt.date(2023, 2, 28), 22),
    (dt.date(2000, 2, 29), dt.date(2023, 3, 1), 23),
])
def test_age_counts_whole_years(born: dt.date, day: dt.date, age: int) -> None:
    assert age_on(born, day) == age


def test_set_fields_are_checked(session: Session, lab) -> None:
    with pytest.raises(UsageError, match="field 'name' cannot be set"):
        svc.create_set(session, lab.clinician, "patient", "hemato", name="x", last_name="y",
                       origin="test")
    with pytest.raises(UsageError, match="field 'birth_date'.*not a date"):
        _patient(session, lab, birth_date="04/03/1970")
    with pytest.raises(UsageError, match="needs a non-empty 'last_name'"):
        _patient(session, lab, last_name=" ")
    with pytest.raises(UsageError, match="unknown set kind 'cohort'"):
        svc.create_set(session, lab.clinician, "cohort", "hemato", name="x", origin="test")
    with pytest.raises(NotFound, match="no group 'haemato'"):
        svc.create_set(session, lab.clinician, "run", "haemato", name="x", origin="test")


def test_delete_set_keeps_samples_of_other_sets(session: Session, lab) -> None:
    patient = _patient(session, lab)
    run = svc.create_set(session, lab.clinician, "run", "hemato", name="run 7",
                         origin="test").id
    shared = svc.add_sample(session, lab.clinician, [patient, run], original_name="a.fq",
                            stored_path="/data/a.fq", origin="test")
    alone = svc.add_sample(session, lab.clinician, [patient], original_name="b_R1.fq",
                           original_name_r2="b_R2.fq", stored_path="/data/b1.fq",
                           stored_path_r2="/data/b2.fq", origin="test")
    svc.grant_right(session, SYSTEM, "hemato", "admin", origin="test")
    assert svc.delete_set(session, lab.clinician, patient, origin="test") == [
        "/data/b1.fq", "/data/b2.fq"]
    assert session.get(Sample, alone.id) is None
    assert [ref.id for ref in svc.get_sample(session, lab.clinician, shared.id).sets] == [run]


def test_remove_sample_deletes_it_with_its_last_set(session: Session, lab) -> None:
    patient = _patient(session, lab)
    run = svc.create_set(session, lab.clinician, "run", "hemato", name="run 7",
                         origin="test").id
    sample = svc.add_sample(session, lab.clinician, [patient, run], original_name="a.fq",
                            stored_path="/data/a.fq", origin="test")
    assert svc.remove_sample(session, lab.clinician, sample.id, run, origin="test") == []
    assert svc.get_set(session, lab.clinician, run).sample_count == 0
    with pytest.raises(NotFound, match="not in set"):
        svc.remove_sample(session, lab.clinician, sample.id, run, origin="test")
    assert svc.remove_sample(session, lab.clinician, sample.id, patient,
                             origin="test") == ["/data/a.fq"]
    assert session.get(Sample, sample.id) is None


def test_a_set_keeps_at_least_one_group(session: Session, lab) -> None:
    patient = _patient(session, lab)
    svc.grant_right(session, SYSTEM, "hemato", "admin", origin="test")
    with pytest.raises(Conflict, match="only one with access"):
        svc.unshare_set(session, lab.clinician, patient, "hemato", origin="test")
    svc.share_set(session, lab.clinician, patient, "virology", origin="test")
    svc.unshare_set(session, lab.clinician, patient, "hemato", origin="test")
    assert svc.set_groups(session, SYSTEM, patient) == ["virology"]
    assert rights.readable_sets(session, lab.stranger).total == 1
    assert rights.readable_sets(session, lab.clinician).total == 0


def test_launch_queues_a_result_and_a_job_per_sample(session: Session, lab) -> None:
    patient = _patient(session, lab)
    samples = [svc.add_sample(session, lab.clinician, [patient], original_name=f"{n}.fq",
                              origin="test").id for n in ("dx", "fu")]
    config = svc.create_config(session, lab.clinician, "hemato", name="multi", origin="test")
    results = svc.launch_analysis(session, lab.clinician, patient, config.id, origin="test")
    assert sorted(result.sample_id for result in results) == sorted(samples)
    for result in results:
        job = session.get(Job, result.job_id)
        assert (job.kind, job.state, job.attempts, job.progress) == ("analysis", "pending", 0, 0)
        assert (job.result_id, job.sample_id, job.set_id) == (result.id, result.sample_id,
                                                              patient)
        assert job.user_id == lab.clinician.id and job.created_at.tzinfo is not None
    listed = svc.list_results(session, lab.student, samples[0])
    assert [(item.config, item.state) for item in listed] == [("multi", "queued")]
    with pytest.raises(NotFound, match="not in set"):
        svc.launch_analysis(session, lab.clinician, patient, config.id, sample_ids=[10**6],
                            origin="test")


def test_analyses_are_versioned(session: Session, lab) -> None:
    patient = _patient(session, lab)
    config = svc.create_config(session, lab.clinician, "hemato", name="igh", origin="test")
    for names in (["clone A"], ["clone A", "clone B"]):
        saved = svc.save_analysis(session, lab.clinician, patient, config.id,
                                  {"clones": names}, origin="test")
    assert saved.version == 2 and saved.author == "clinician"
    assert svc.get_analysis(session, lab.student, patient, config.id).data == {
        "clones": ["clone A", "clone B"]}
    first = svc.get_analysis(session, lab.student, patient, config.id, version=1)
    assert first.data == {"clones": ["clone A"]}
    with pytest.raises(NotFound, match="version 3"):
        svc.get_analysis(session, lab.student, patient, config.id, version=3)


def test_configs_in_use_cannot_be_deleted(session: Session, lab) -> None:
    patient = _patient(session, lab)
    config = svc.create_config(session, lab.clinician, "hemato", name="igh", origin="test")
    with pytest.raises(Conflict, match="config 'igh' exists"):
        svc.create_config(session, lab.clinician, "hemato", name="igh", origin="test")
    svc.save_analysis(session, lab.clinician, patient, config.id, {}, origin="test")
    with pytest.raises(Conflict, match="used by 1"):
        svc.delete_config(session, lab.boss, config.id, origin="test")


def test_groups_have_one_level_of_parents(session: Session, lab) -> None:
    with pytest.raises(UsageError, match="cannot be a parent"):
        svc.create_group(session, SYSTEM, "grandchild", parent="hemato-students",
                         origin="test")
    with pytest.raises(Conflict, match="child group"):
        svc.delete_group(session, SYSTEM, "hemato", origin="test")
    with pytest.raises(Conflict, match="exists"):
        svc.create_group(session, SYSTEM, "virology", origin="test")
    with pytest.raises(UsageError, match="managed by the lab"):
        svc.add_member(session, SYSTEM, "public", "boss", origin="test")


def test_a_disabled_account_may_do_nothing(session: Session, lab) -> None:
    patient = _patient(session, lab)
    svc.set_user_active(session, SYSTEM, "clinician", False, origin="cli")
    assert rights.readable_sets(session, lab.clinician).total == 0
    with pytest.raises(PermissionDenied, match="'read'"):
        svc.get_set(session, lab.clinician, patient)


def test_admins_cannot_be_impersonated(session: Session, lab) -> None:
    svc.grant_right(session, SYSTEM, "public", "impersonate", origin="test")
    assert svc.impersonate(session, lab.stranger, "student", origin="test").name == "student"
    with pytest.raises(PermissionDenied, match="'impersonate' right on user 'boss'"):
        svc.impersonate(session, lab.stranger, "boss", origin="test")


def test_audit_says_who_what_when_and_from_where(session: Session, lab) -> None:
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    patient = _patient(session, lab)
    svc.get_set(session, lab.boss, patient, origin="192.0.2.7")
    entries = svc.list_audit(session, lab.boss, record_type="set", record_id=patient,
                             origin="192.0.2.8")
    assert [(e.user, e.action, e.origin, e.admin_override) for e in entries] == [
        ("boss", "override:admin", "192.0.2.8", True),  # reading the log is an override too
        ("boss", "override:read", "192.0.2.7", True),
        ("clinician", "create", "10.0.0.1", False),
    ]
    assert all(entry.at >= before for entry in entries)
    assert "Martin" not in str([entry.details for entry in entries])
    with pytest.raises(PermissionDenied, match="lab admin"):
        svc.list_audit(session, lab.clinician)


def test_notifications_reach_their_audience_until_they_expire(session: Session,
                                                              lab) -> None:
    svc.post_notification(session, lab.boss, "maintenance", "Saturday", origin="test")
    svc.post_notification(session, lab.boss, "new config", group="hemato", priority="warning",
                          origin="test")
    svc.post_notification(session, lab.boss, "old news", origin="test",
                          expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    assert [n.title for n in svc.list_notifications(session, lab.clinician)] == [
        "new config", "maintenance"]
    assert [n.title for n in svc.list_notifications(session, lab.stranger)] == ["maintenance"]
    first = svc.list_notifications(session, lab.stranger)[0]
    svc.dismiss_notification(session, lab.stranger, first.id)
    assert svc.list_notifications(session, lab.stranger) == []
    assert svc.list_notifications(session, None) == []
    with pytest.raises(UsageError, match="unknown priority"):
        svc.post_notification(session, lab.boss, "x", priority="loud", origin="test")


def test_text_and_times_survive_the_round_trip(session: Session, lab) -> None:
    """utf8mb4 on MariaDB (accents, emoji) and aware UTC with microseconds everywhere."""
    patient = _patient(session, lab, first_name="Zoë", last_name="Łukasiewicz",
                       info="séquençage 🧬 #suivi")
    session.expire_all()
    view = svc.get_set(session, lab.clinician, patient)
    assert (view.first_name, view.last_name, view.info) == (
        "Zoë", "Łukasiewicz", "séquençage 🧬 #suivi")
    assert svc.get_set(session, lab.student, patient).label == "Łuk"
    stored = session.get(SampleSet, patient).created_at
    assert stored.tzinfo == dt.UTC and stored.microsecond == view.created_at.microsecond
    assert abs(dt.datetime.now(dt.UTC) - stored) < dt.timedelta(minutes=1)


def test_results_cascade_with_their_sample(session: Session, lab) -> None:
    patient = _patient(session, lab)
    sample = svc.add_sample(session, lab.clinician, [patient], original_name="a.fq",
                            origin="test")
    config = svc.create_config(session, lab.clinician, "hemato", name="igh", origin="test")
    svc.launch_analysis(session, lab.clinician, patient, config.id, origin="test")
    svc.remove_sample(session, lab.clinician, sample.id, patient, origin="test")
    assert session.scalar(select(func.count()).select_from(Result)) == 0
    assert session.scalar(select(Job.sample_id)) is None
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "delete", AuditEntry.record_type == "sample")) == 1


def test_tags_follow_the_info_fields(session: Session, lab) -> None:
    assert svc.extract_tags("MRD follow-up #MRD #relapse-2, #mrd and #é-tag") == [
        "mrd", "relapse-2", "é-tag"]
    patient = _patient(session, lab, info="#AML at diagnosis")
    sample = svc.add_sample(session, lab.clinician, [patient], original_name="a.fq",
                            info="#diag", origin="test")
    assert [v.id for v in rights.readable_sets(session, lab.student, tag="#aml").items] == [
        patient]
    svc.grant_right(session, SYSTEM, "hemato", "admin", origin="test")
    svc.update_set(session, lab.clinician, patient, info="#ALL, not AML", origin="test")
    assert rights.readable_sets(session, lab.student, tag="aml").total == 0
    assert rights.readable_sets(session, lab.student, tag="all").total == 1
    assert [v.id for v in rights.readable_samples(session, lab.student, tag="diag").items] == [
        sample.id]
    svc.update_sample(session, lab.clinician, sample.id, info="#fu1", origin="test")
    assert svc.tag_vocabulary(session, lab.student) == [("all", 1), ("fu1", 1)]
    assert svc.tag_vocabulary(session, lab.student, prefix="#f") == [("fu1", 1)]


def test_the_tag_vocabulary_only_shows_readable_records(session: Session, lab) -> None:
    _patient(session, lab, info="#secret-trial")
    svc.create_set(session, lab.stranger, "generic", "virology", name="flu",
                   info="#influenza", origin="test")
    assert svc.tag_vocabulary(session, lab.stranger) == [("influenza", 1)]
    assert svc.tag_vocabulary(session, lab.student) == [("secret-trial", 1)]
    assert svc.tag_vocabulary(session, None) == []


def test_logins_are_remembered(session: Session, lab) -> None:
    assert lab.student.last_login is None
    svc.record_login(session, lab.student)
    session.flush()
    session.expire_all()
    seen = svc.list_users(session, lab.boss)
    student = next(view for view in seen if view.name == "student")
    assert student.last_login is not None and student.last_login.tzinfo == dt.UTC


def test_the_has_questions_agree_with_the_services(session: Session, lab) -> None:
    """What the dashboards ask to show or hide a button (``has_*``) is what services allow."""
    patient = _patient(session, lab)
    sample = svc.add_sample(session, lab.clinician, [patient], original_name="a.fq",
                            origin="test").id
    config = svc.create_config(session, lab.clinician, "hemato", name="igh", origin="test").id
    hemato = svc.get_group(session, "hemato")
    for actor, read, upload, create in ((lab.clinician, True, True, True),
                                        (lab.student, True, False, False),
                                        (lab.stranger, False, False, False),
                                        (lab.boss, True, True, True), (None, False, False, False)):
        assert rights.has_set_right(session, actor, Right.READ, patient) is read
        assert rights.has_sample_right(session, actor, Right.UPLOAD, sample) is upload
        assert rights.has_record_right(session, "config", actor, Right.READ, config) is read
        assert rights.has_group_right(session, actor, Right.CREATE, hemato.id) is create
    svc.grant_right(session, SYSTEM, "hemato", "impersonate", origin="test")
    svc.add_member(session, SYSTEM, "hemato", "student", origin="test")
    assert rights.can_impersonate(session, lab.clinician, lab.student)
    assert not rights.can_impersonate(session, lab.clinician, lab.boss)
    assert not rights.can_impersonate(session, lab.stranger, lab.student)


def test_admin_listings_are_logged(session: Session, lab) -> None:
    _patient(session, lab)
    assert svc.list_sets(session, lab.student, origin="10.0.0.2").total == 1
    assert svc.list_sets(session, lab.boss, kind="patient", origin="10.0.0.3").total == 1
    svc.list_samples(session, lab.boss, origin="10.0.0.3")
    entries = [(e.user, e.action, e.record_type, e.origin, e.details.get("kind"))
               for e in svc.list_audit(session, lab.boss, record_type=None)
               if e.action == "list"]
    assert entries == [("boss", "list", "sample", "10.0.0.3", None),
                       ("boss", "list", "set", "10.0.0.3", "patient")]
