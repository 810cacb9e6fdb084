import pytest

from quality import seals
from quality.models import Inspection, InspectionAnswer
from tests.quality.data import published_checklist, sealed_inspection

pytestmark = pytest.mark.django_db


def test_an_edit_in_the_database_breaks_the_chain_at_that_record(auditor, apartments_dept):
    version = published_checklist()
    first = sealed_inspection(version, department=apartments_dept, auditor=auditor)
    second = sealed_inspection(
        version, department=apartments_dept, auditor=auditor, results=[5, "fail", 8]
    )
    sealed_inspection(version, department=apartments_dept, auditor=auditor)
    assert [first.sequence, second.sequence] == [1, 2]
    assert seals.verify_chain().ok and seals.verify_chain().checked == 3

    InspectionAnswer.objects.filter(inspection=second, result="fail").update(result="pass")

    report = seals.verify_chain()
    assert not report.ok and report.broken_sequence == 2 and report.checked == 1
    Inspection.objects.filter(pk=first.pk).update(place="改过的地方")
    assert seals.verify_chain().broken_sequence == 1
