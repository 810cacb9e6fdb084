"""The demo university's quality system: a published inspection checklist for each of the
eight service areas, complaint categories routed to the departments, a few months of sealed
inspection records by the demo auditor (刘审核) — one of them with a failed item, raised as a
nonconformity and answered by the apartment center's head — and complaints from every
channel (one anonymous, one answered and rated).

Made through the services (quality.checklists, quality.inspections, quality.nonconformities,
quality.complaints). Two things the services do "now" are dated in the past here, so that the
dashboard has months to show: an inspection is sealed (quality.seals.seal) with the time it
was carried out, and the complaints' and the nonconformity's timestamps are moved back after
the fact (they are not sealed records). Each part checks what exists first: running it twice
changes nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from logistics.demo import demo_seeder
from logistics.models import Campus, Department, ServiceArea, User
from logistics.services import audit_record

AUDITOR = "auditor"
APARTMENTS_HEAD = "head"

# fmt: off
# (area code, checklist code, name, English name, items); an item is
# (requirement, in English, rule, weight, SERVQUAL dimension, characteristic).
CHECKLISTS = [
    (
        "apartments",
        "apartments-std",
        "学生公寓服务质量检查表",
        "Student apartment service checklist",
        [
            ("公共区域地面清洁、无积水", "Public areas clean, no standing water",
             "score", "2", "tangibles", "comfort"),
            ("值班员在岗在位、来访登记规范", "Duty staff at their post, visitors logged properly",
             "pass_fail", "2", "reliability", "safety"),
            ("消防通道畅通、无杂物堆放", "Fire escapes clear of obstructions",
             "pass_fail", "3", "assurance", "safety"),
            ("报修受理及时、记录完整", "Repair requests taken promptly and fully recorded",
             "score", "1.5", "responsiveness", "timeliness"),
            ("服务用语文明、态度热情", "Courteous language and a friendly manner",
             "score", "1", "empathy", "civility"),
            ("卫生间、洗漱间设施完好", "Toilets and washrooms in working order",
             "score", "1", "tangibles", "function"),
            ("安全检查记录齐全", "Safety inspection records complete",
             "pass_fail", "1", "reliability", "safety"),
        ],
    ),
    (
        "dining",
        "dining-std",
        "饮食服务质量检查表",
        "Dining service checklist",
        [
            ("48小时留样≥125g、标签齐全", "Food samples kept 48 hours, at least 125 g, labelled",
             "pass_fail", "3", "assurance", "safety"),
            ("从业人员晨检记录完整", "Staff morning health checks recorded",
             "pass_fail", "2", "reliability", "safety"),
            ("餐具消毒到位、保洁柜密闭", "Tableware disinfected and kept in closed cabinets",
             "pass_fail", "2", "assurance", "safety"),
            ("饭菜明码标价、价格公示", "Every dish priced and the prices displayed",
             "pass_fail", "1", "reliability", "economy"),
            ("售饭窗口按时开放、排队有序", "Serving windows open on time, orderly queues",
             "score", "1", "responsiveness", "timeliness"),
            ("就餐环境整洁、桌椅完好", "Dining hall clean, tables and chairs in good repair",
             "score", "1.5", "tangibles", "comfort"),
            ("服务人员着装整洁、态度热情", "Staff neatly dressed and friendly",
             "score", "1", "empathy", "civility"),
        ],
    ),
    (
        "reception",
        "reception-std",
        "接待服务质量检查表",
        "Reception service checklist",
        [
            ("前台接待礼貌热情", "Front desk polite and welcoming",
             "score", "2", "empathy", "civility"),
            ("客房卫生达标、布草更换及时", "Guest rooms clean, linen changed on time",
             "score", "2", "tangibles", "comfort"),
            ("入住登记规范、证件查验", "Check-in by the rules, identity papers checked",
             "pass_fail", "2", "assurance", "safety"),
            ("会议服务准备及时", "Meeting rooms prepared in time",
             "score", "1", "responsiveness", "timeliness"),
            ("收费标准公示", "Rates displayed",
             "pass_fail", "1", "reliability", "economy"),
        ],
    ),
    (
        "commerce",
        "commerce-std",
        "商贸服务质量检查表",
        "Commerce service checklist",
        [
            ("商品明码标价", "Every item priced",
             "pass_fail", "2", "reliability", "economy"),
            ("无过期、变质商品", "No expired or spoiled goods",
             "pass_fail", "3", "assurance", "safety"),
            ("按公示时间营业", "Open at the posted hours",
             "pass_fail", "1", "reliability", "timeliness"),
            ("店面整洁、货架整齐", "Shop clean, shelves tidy",
             "score", "1", "tangibles", "comfort"),
            ("服务态度热情、耐心", "Staff friendly and patient",
             "score", "1", "empathy", "civility"),
        ],
    ),
    (
        "transport",
        "transport-std",
        "交通服务质量检查表",
        "Transport service checklist",
        [
            ("车辆年检、保险有效", "Vehicle inspection and insurance valid",
             "pass_fail", "3", "assurance", "safety"),
            ("出车前安全检查有记录", "Pre-trip safety checks recorded",
             "pass_fail", "2", "reliability", "safety"),
            ("班车准点发车", "Shuttle buses leave on time",
             "score", "2", "reliability", "timeliness"),
            ("车内清洁、座椅完好", "Vehicles clean inside, seats in good repair",
             "score", "1", "tangibles", "comfort"),
            ("驾驶员文明驾驶、用语规范", "Drivers drive considerately and speak courteously",
             "score", "1", "empathy", "civility"),
        ],
    ),
    (
        "health_care",
        "health-care-std",
        "医疗保健服务质量检查表",
        "Health care service checklist",
        [
            ("门诊候诊时间合理", "Reasonable waiting times at the clinic",
             "score", "2", "responsiveness", "timeliness"),
            ("药品在有效期内、账物相符", "Medicines within date, stock matching the records",
             "pass_fail", "3", "assurance", "safety"),
            ("医疗废物分类处置", "Medical waste sorted and disposed of properly",
             "pass_fail", "2", "reliability", "safety"),
            ("诊室清洁、消毒记录完整", "Consulting rooms clean, disinfection recorded",
             "score", "1", "tangibles", "safety"),
            ("医护人员耐心解释病情", "Doctors and nurses explain patiently",
             "score", "1", "empathy", "civility"),
            ("收费公开透明", "Charges open and clear",
             "pass_fail", "1", "reliability", "economy"),
        ],
    ),
    (
        "maintenance_utilities",
        "maintenance-std",
        "维修与水电服务质量检查表",
        "Maintenance and utilities service checklist",
        [
            ("报修响应在承诺时限内", "Repairs responded to within the promised time",
             "score", "2", "responsiveness", "timeliness"),
            ("维修人员持证上岗", "Technicians hold the required certificates",
             "pass_fail", "2", "assurance", "safety"),
            ("维修后现场清理干净", "Work site cleaned up after the repair",
             "score", "1", "tangibles", "comfort"),
            ("配电室、泵房巡检记录完整", "Switch room and pump room patrols recorded",
             "pass_fail", "2", "reliability", "safety"),
            ("维修材料领用登记清楚", "Materials issued recorded clearly",
             "pass_fail", "1", "reliability", "economy"),
            ("维修后回访用户", "Users called back after the repair",
             "score", "1", "empathy", "civility"),
        ],
    ),
    (
        "cleaning_greening",
        "cleaning-greening-std",
        "保洁绿化服务质量检查表",
        "Cleaning and greening service checklist",
        [
            ("道路、广场无垃圾杂物", "Roads and squares free of litter",
             "score", "2", "tangibles", "comfort"),
            ("垃圾桶及时清运、无满溢", "Bins emptied in time, never overflowing",
             "score", "2", "responsiveness", "timeliness"),
            ("草坪、绿篱修剪整齐", "Lawns and hedges neatly trimmed",
             "score", "1", "tangibles", "comfort"),
            ("作业人员安全防护到位", "Workers wear their safety equipment",
             "pass_fail", "2", "assurance", "safety"),
            ("保洁用品存放规范", "Cleaning supplies stored properly",
             "pass_fail", "1", "reliability", "safety"),
        ],
    ),
]

# fmt: on

# (code, name, English name, department code, answer within hours)
CATEGORIES = [
    ("apartment-service", "公寓服务", "Apartment services", "apartments", 48),
    ("repair-service", "维修服务", "Repairs", "maintenance", 24),
    ("dining-service", "餐饮服务", "Dining", "dining", 48),
    ("environment", "环境卫生", "Cleaning and environment", "environment", 48),
    ("other", "其他", "Other", "quality", 72),
]

# The inspection records: (area, department, campus, place, days ago, results). A result is a
# score (of 10), "pass", "fail" or "na", one per item of the area's checklist.
FAILED_PLACE = "松北3号公寓 一至三层"
# fmt: off
INSPECTIONS = [
    ("apartments", "apartments", "songbei", "松北1号公寓 公共区域", 140,
     [9, "pass", "pass", 8, 9, 8, "pass"]),
    ("dining", "dining", "songbei", "松北第一食堂 后厨", 130,
     ["pass", "pass", "pass", "pass", 8, 7, 8]),
    ("maintenance_utilities", "maintenance", "songbei", "松北维修中心 配电室", 120,
     [7, "pass", 8, "pass", "pass", 7]),
    ("apartments", "apartments", "jiangnan", "江南1号公寓 值班室", 110,
     [8, "pass", "pass", 7, 8, "na", "pass"]),
    ("cleaning_greening", "environment", "songbei", "松北校区 主干道", 100,
     [8, 7, 9, "pass", "pass"]),
    ("dining", "dining", "jiangnan", "江南食堂 售饭窗口", 95,
     ["pass", "pass", "pass", "pass", 6, 8, 9]),
    ("reception", "reception", "songbei", "学术交流中心 前台", 85,
     [9, 8, "pass", 8, "pass"]),
    ("apartments", "apartments", "songbei", "松北2号公寓 洗漱间", 80,
     [7, "pass", "pass", 9, 9, 6, "pass"]),
    ("maintenance_utilities", "maintenance", "jiangnan", "江南校区 水泵房", 70,
     [9, "pass", 9, "pass", "pass", 8]),
    ("dining", "dining", "songbei", "松北第二食堂 就餐区", 60,
     ["pass", "pass", "pass", "pass", 9, 9, 8]),
    ("apartments", "apartments", "songbei", "松北5号公寓 公共区域", 50,
     [9, "pass", "pass", 8, 10, 9, "pass"]),
    ("cleaning_greening", "environment", "jiangnan", "江南校区 图书馆广场", 40,
     [9, 8, 8, "pass", "pass"]),
    ("maintenance_utilities", "maintenance", "songbei", "松北维修中心 材料库", 25,
     [8, "pass", 9, "pass", "pass", 9]),
    ("dining", "dining", "jiangnan", "江南食堂 后厨", 20,
     ["pass", "pass", "pass", "pass", 8, 9, 9]),
    # The fire escape blocked: the one failed item, raised as a nonconformity.
    ("apartments", "apartments", "songbei", FAILED_PLACE, 12,
     [8, "pass", "fail", 7, 9, 8, "pass"]),
]
# fmt: on
FAILED_COMMENT = "3号楼东侧消防通道堆放自行车和纸箱，影响疏散。"
NC_TITLE = "消防通道堆放杂物"


def _now() -> dt.datetime:
    return timezone.now()


def _user(username: str) -> User | None:
    return User.objects.filter(username=username).first()


@demo_seeder(order=50)
def seed_quality(log):
    auditor = _user(AUDITOR)
    if auditor is None:
        log("quality: no demo auditor, skipped")
        return
    versions = _seed_checklists(auditor)
    categories = _seed_categories(auditor)
    sealed = _seed_inspections(auditor, versions)
    _seed_nonconformity(auditor)
    complaints = _seed_complaints(auditor, categories)
    log(
        f"quality: {len(versions)} checklists, {len(categories)} complaint categories, "
        f"{sealed} inspection records, {complaints} complaints"
    )


# --- Service standards ---------------------------------------------------------------------------


def _seed_checklists(auditor) -> dict:
    """The published version of each area's checklist, by area code."""
    from quality import checklists as services
    from quality.models import Checklist, ChecklistVersion

    areas = {a.code: a for a in ServiceArea.objects.all()}
    versions = {}
    for area_code, code, name, name_en, items in CHECKLISTS:
        area = areas.get(area_code)
        if area is None:
            continue
        with transaction.atomic():
            checklist = Checklist.objects.filter(code=code).first()
            if checklist is None:
                checklist = services.checklist_create(
                    actor=auditor, area=area, code=code, name=name, name_en=name_en
                )
                draft = checklist.versions.get(status=ChecklistVersion.Status.DRAFT)
                for text, text_en, rule, weight, servqual, characteristic in items:
                    services.item_add(
                        actor=auditor,
                        version=draft,
                        item=services.ItemInput(
                            text=text,
                            text_en=text_en,
                            rule=rule,
                            weight=Decimal(weight),
                            servqual=servqual,
                            characteristic=characteristic,
                            max_score=10,
                            # Safety requirements always apply.
                            allow_na=characteristic != "safety",
                        ),
                    )
                services.version_publish(actor=auditor, version=draft)
            published = checklist.versions.filter(status=ChecklistVersion.Status.PUBLISHED).first()
        if published is not None:
            versions[area_code] = published
    return versions


# --- Complaint categories ------------------------------------------------------------------------


def _seed_categories(auditor) -> dict:
    from quality import complaints as services
    from quality.models import ComplaintCategory

    departments = {d.code: d for d in Department.objects.all()}
    categories = {}
    for position, (code, name, name_en, department_code, hours) in enumerate(CATEGORIES, 1):
        category = ComplaintCategory.objects.filter(code=code).first()
        department = departments.get(department_code)
        if category is None and department is not None:
            category = services.category_save(
                actor=auditor,
                category=ComplaintCategory(
                    code=code,
                    name=name,
                    name_en=name_en,
                    department=department,
                    response_hours=hours,
                    position=position,
                ),
            )
        if category is not None:
            categories[code] = category
    return categories


# --- Inspection records --------------------------------------------------------------------------


def _seed_inspections(auditor, versions) -> int:
    """Seal the demo records, oldest first, each at the time it was carried out."""
    from quality.models import Inspection

    departments = {d.code: d for d in Department.objects.all()}
    campuses = {c.code: c for c in Campus.objects.all()}
    now = _now()
    made = 0
    for area_code, department_code, campus_code, place, days_ago, results in sorted(
        INSPECTIONS, key=lambda row: -row[4]
    ):
        version = versions.get(area_code)
        department = departments.get(department_code)
        if version is None or department is None:
            continue
        exists = Inspection.objects.filter(
            auditor=auditor, department=department, place=place, status="sealed"
        ).exists()
        if exists:
            continue
        at = now - dt.timedelta(days=days_ago, hours=2)
        _inspect(auditor, version, department, campuses.get(campus_code), place, at, results)
        made += 1
    return made


@transaction.atomic
def _inspect(auditor, version, department, campus, place, at, results):
    """An inspection made through the services, then sealed with the time it was made."""
    from quality import inspections as services
    from quality import seals
    from quality.models import Inspection

    inspection = services.inspection_start(
        actor=auditor,
        area=version.checklist.area,
        department=department,
        place=place,
        campus=campus,
        checklist=version.checklist,
    )
    items = list(version.items.order_by("position", "id"))
    for item, result in zip(items, results, strict=True):
        if isinstance(result, int):
            data = services.AnswerInput(result="scored", score=result)
        else:
            comment = FAILED_COMMENT if result == "fail" else ""
            data = services.AnswerInput(result=result, comment=comment)
        services.answer_save(actor=auditor, inspection=inspection, item=item, data=data)
    # What inspection_submit does, at the time the inspection was carried out.
    answers = list(inspection.answers.select_related("item"))
    inspection.score = services.weighted_score(answers).percent
    inspection.started_at = at - dt.timedelta(minutes=40)
    inspection.submitted_at = at
    Inspection.objects.filter(pk=inspection.pk).update(started_at=inspection.started_at)
    seals.seal(inspection)
    audit_record(
        actor=auditor,
        action="inspection.submit",
        target=inspection,
        changes={"score": str(inspection.score), "sequence": inspection.sequence},
    )
    return inspection


# --- The nonconformity of the failed item --------------------------------------------------------


def _seed_nonconformity(auditor) -> None:
    from quality import nonconformities as services
    from quality.models import InspectionAnswer, Nonconformity, NonconformityEvent

    answer = (
        InspectionAnswer.objects.filter(
            inspection__auditor=auditor,
            inspection__place=FAILED_PLACE,
            inspection__status="sealed",
            result=InspectionAnswer.Result.FAIL,
        )
        .select_related("inspection")
        .first()
    )
    if answer is None or Nonconformity.objects.filter(answer=answer).exists():
        return
    head = _user(APARTMENTS_HEAD)
    with transaction.atomic():
        nc = services.nc_raise_from_answer(
            actor=auditor,
            answer=answer,
            severity="major",
            title=NC_TITLE,
            description=FAILED_COMMENT + "要求立即清理，并落实日常巡查。",
        )
        if head is not None:
            services.nc_answer(
                actor=head,
                nonconformity=nc,
                root_cause="楼内无自行车停放点，学生就近停放在消防通道；值班巡查未覆盖东侧通道。",
                correction="已清理通道内自行车和纸箱，张贴禁停标识。",
                corrective_action="在楼前增设自行车停放区；值班员每日两次巡查消防通道并记录。",
                preventive_action="各公寓楼自查消防通道，纳入每周安全检查表。",
                due_date=timezone.localdate() + dt.timedelta(days=14),
            )
        # Raised an hour after the inspection, answered two days later.
        raised = answer.inspection.submitted_at + dt.timedelta(hours=1)
        answered = raised + dt.timedelta(days=2)
        Nonconformity.objects.filter(pk=nc.pk).update(
            raised_at=raised, answered_at=answered if head is not None else None
        )
        events = NonconformityEvent.objects.filter(nonconformity=nc)
        events.filter(kind=NonconformityEvent.Kind.RAISED).update(at=raised)
        events.filter(kind=NonconformityEvent.Kind.ANSWERED).update(at=answered)


# --- Complaints ----------------------------------------------------------------------------------

# (channel, category, subject, text, days ago, answered after hours or None, how it ends,
#  anonymous)
COMPLAINTS = [
    (
        "hotline",
        "apartment-service",
        "3号公寓晚间热水供应不稳定",
        "晚上十点以后热水时有时无，希望尽快检修。",
        20,
        5,
        "closed",
        False,
    ),
    (
        "box",
        "dining-service",
        "二食堂部分菜品价格偏高",
        "二食堂小炒窗口价格比一食堂高不少，希望公示成本、调整价格。",
        9,
        None,
        "",
        False,
    ),
    (
        "web",
        "repair-service",
        "宿舍楼道灯坏了一周没人修",
        "松北2号公寓四楼楼道灯坏了一周，晚上很黑，存在安全隐患。",
        3,
        None,
        "",
        True,
    ),
    (
        "web",
        "apartment-service",
        "洗衣房洗衣机经常故障",
        "1号公寓洗衣房的三台洗衣机有两台经常报错，请安排维修。",
        6,
        20,
        "satisfied",
        False,
    ),
    (
        "hotline",
        "environment",
        "图书馆门前垃圾桶满溢",
        "周末图书馆门前垃圾桶满了没人清理，气味很大。",
        1,
        None,
        "",
        False,
    ),
]


def _seed_complaints(auditor, categories) -> int:
    from apartments.demo import DEMO_STUDENT_ID
    from quality.models import Complaint

    student = _user(DEMO_STUDENT_ID)
    head = _user(APARTMENTS_HEAD)
    campus = Campus.objects.filter(code="songbei").first()
    made = 0
    for channel, code, subject, text, days_ago, answered_after, ending, anonymous in COMPLAINTS:
        category = categories.get(code)
        if category is None or Complaint.objects.filter(subject=subject).exists():
            continue
        if channel == "web" and student is None:
            continue
        with transaction.atomic():
            _complain(
                auditor=auditor,
                student=student,
                answerer=head if category.department.code == "apartments" else auditor,
                channel=channel,
                category=category,
                campus=campus,
                subject=subject,
                text=text,
                received_at=_now() - dt.timedelta(days=days_ago, hours=3),
                answered_after=answered_after,
                ending=ending,
                anonymous=anonymous,
            )
        made += 1
    return made


def _complain(
    *,
    auditor,
    student,
    answerer,
    channel,
    category,
    campus,
    subject,
    text,
    received_at,
    answered_after,
    ending,
    anonymous,
):
    from quality import complaints as services
    from quality.models import Complaint, ComplaintEvent

    if channel == "web":
        complaint = services.complaint_submit(
            actor=student,
            category=category,
            subject=subject,
            text=text,
            campus=campus,
            anonymous=anonymous,
        )
    else:
        complaint = services.complaint_record(
            actor=auditor,
            channel=channel,
            received_at=received_at,
            category=category,
            subject=subject,
            text=text,
            contact_name="张同学" if channel == "hotline" else "",
            contact_phone="13800001234" if channel == "hotline" else "",
            campus=campus,
        )
    answered_at = closed_at = None
    if answered_after is not None:
        services.complaint_answer(
            actor=answerer,
            complaint=complaint,
            text="已安排维修人员检修，问题已解决。感谢您的反馈！",
        )
        answered_at = received_at + dt.timedelta(hours=answered_after)
        closed_at = answered_at + dt.timedelta(days=1)
        if ending == "satisfied":
            services.complaint_feedback(
                actor=student, complaint=complaint, satisfied=True, feedback="修好了，谢谢。"
            )
        elif ending == "closed":
            services.complaint_close(actor=answerer, complaint=complaint)
    # The services wrote "now": move the complaint back to when it happened.
    changes = {
        "received_at": received_at,
        "created_at": received_at,
        "respond_by": received_at + dt.timedelta(hours=category.response_hours),
    }
    if answered_at is not None:
        changes.update(first_answered_at=answered_at, answered_at=answered_at)
    if ending:
        changes["closed_at"] = closed_at
    Complaint.objects.filter(pk=complaint.pk).update(**changes)
    events = ComplaintEvent.objects.filter(complaint=complaint)
    Kind = ComplaintEvent.Kind
    events.filter(kind__in=[Kind.RECEIVED, Kind.ROUTED]).update(at=received_at)
    if answered_at is not None:
        events.filter(kind=Kind.ANSWERED).update(at=answered_at)
        events.filter(kind__in=[Kind.SATISFIED, Kind.CLOSED]).update(at=closed_at)
    return complaint


# The surveys' and scorecards' part (its own module; registered by importing it).
from quality import survey_demo  # noqa: E402, F401, I001
from quality import iso_demo  # noqa: E402, F401
