"""The demo's quality system (issue 16), made once (loading twice changes nothing): a quality
manual, the three work procedures of the source (《管理员工作流程》《迎宾员工作流程》
《服务员工作流程》), three emergency plans, audit questions, the year's audit programme with one
audit done and its report issued, objectives with a year of monthly reviews, a training session
with a quiz and a knowledge contest."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from logistics.demo import demo_seeder
from logistics.models import Department, User

AUDIT_QUESTIONS = [
    (
        "7.5",
        "现行文件是否为受控的有效版本？作废文件是否已撤出使用场所？",
        "Are the documents in use the controlled effective versions, and obsolete ones removed?",
    ),
    ("7.5", "记录是否填写完整、清晰、可追溯？", "Are records complete, legible and traceable?"),
    (
        "7.2",
        "员工是否接受了岗位工作流程培训并有考核记录？",
        "Have staff been trained on their work procedures, with assessment records?",
    ),
    (
        "8.5",
        "服务是否按工作流程和服务标准提供？",
        "Is the service provided according to the procedures and standards?",
    ),
    (
        "8.7",
        "发现的不合格服务是否得到识别和控制？",
        "Are nonconforming services identified and controlled?",
    ),
    (
        "9.1",
        "是否按频次监视和测量质量目标？",
        "Are the quality objectives monitored at their frequency?",
    ),
    (
        "10.2",
        "不合格是否分析原因并采取纠正措施，且验证有效？",
        "Are nonconformities analysed, corrected and the actions verified?",
    ),
]

MANUAL = """# 质量方针

**服务育人、管理规范、持续改进、师生满意。**

# 适用范围

本手册适用于后勤集团各服务中心提供的公寓、维修、饮食、接待、商贸、交通、医疗保健和环境保洁绿化服务。

# 质量管理体系

1. 文件控制：所有程序文件、作业指导书和预案经审批后生效，定期评审。
2. 记录控制：检查记录提交后封存，不得更改。
3. 内部审核：每年覆盖所有部门和标准条款。
4. 不合格控制、纠正措施和预防措施。
"""

PROCEDURES = [
    (
        "apartments",
        "管理员工作流程",
        "Dorm manager work procedure",
        ["dorm_manager", "shift_lead"],
        """# 目的

规范公寓管理员的日常工作，保证公寓安全、整洁、有序。

# 工作流程

1. 每日早班交接，查阅值班记录。
2. 巡查楼内公共区域，发现隐患立即登记并报修。
3. 晚间查寝，统计晚归人员。
4. 每晚提交“零报告”。

# 记录

- 值班记录
- 巡查记录
""",
        """# Purpose

Sets out the dorm manager's daily work so the building stays safe, clean and orderly.

# Procedure

1. Morning hand-over; read the duty log.
2. Patrol the public areas; record hazards and file repairs at once.
3. Evening room check; count late returns.
4. Send the nightly zero report.
""",
    ),
    (
        "reception",
        "迎宾员工作流程",
        "Greeter work procedure",
        ["shift_lead"],
        """# 目的

规范迎宾服务，体现热情、礼貌、规范的服务形象。

# 工作流程

1. 提前十分钟到岗，检查仪容仪表。
2. 客人到达时微笑问候，主动引领。
3. 解答询问，不能解答的及时转交。
4. 客人离开时礼貌道别。
""",
        "",
    ),
    (
        "reception",
        "服务员工作流程",
        "Waiter work procedure",
        ["shift_lead"],
        """# 目的

规范餐厅服务员的服务程序。

# 工作流程

1. 餐前准备：检查餐具、台面和环境卫生。
2. 迎客入座，递送菜单，介绍菜品及过敏原。
3. 准确下单，按顺序上菜。
4. 餐后结账，征求意见，清理台面。
""",
        "",
    ),
]

PLANS = [
    (
        "火灾疏散预案",
        "Fire evacuation plan",
        "# 报警\n\n发现火情立即拨打119并报告值班室。\n\n"
        "# 疏散\n\n- 按疏散路线有序撤离\n- 楼长逐层清点人数\n",
    ),
    (
        "救援预案",
        "Rescue plan",
        "# 组织\n\n成立现场救援小组，组长由中心主任担任。\n\n"
        "# 程序\n\n1. 确认险情\n2. 组织救援\n3. 上报学校\n",
    ),
    (
        "伤员急救预案",
        "Injury first-aid plan",
        "# 处置\n\n1. 保护现场，判断伤情\n2. 就地急救，拨打120\n3. 通知医疗保健中心\n",
    ),
]


def _user(username: str) -> User | None:
    return User.objects.filter(username=username).first()


@demo_seeder(order=55)
def seed_quality_system(log):
    from quality.models import AuditQuestion, ControlledDocument

    auditor, admin, head = _user("auditor"), _user("admin"), _user("head")
    if auditor is None or admin is None or head is None:
        log("quality system: demo staff missing, skipped")
        return
    if ControlledDocument.objects.exists():
        log("quality system: already loaded")
        return
    today = timezone.localdate()
    with transaction.atomic():
        for position, (clause, text, text_en) in enumerate(AUDIT_QUESTIONS):
            AuditQuestion.objects.create(
                clause=clause, text=text, text_en=text_en, position=position
            )
        documents = _seed_documents(auditor, admin, head, today)
        audits = _seed_audits(auditor, admin, today)
        reviews = _seed_objectives(auditor, head, today)
        _seed_training(auditor, documents, today)
        _seed_management_review(auditor, head, documents, today)
    log(
        f"quality system: {len(documents)} documents, {audits} audits, "
        f"{reviews} objective reviews, 2 training sessions in the year's training plan, "
        "a management review whose decisions became a nonconformity and an objective"
    )


def _seed_documents(auditor, admin, head, today) -> list:
    from quality import documents
    from quality.models import DocumentKind

    departments = {d.code: d for d in Department.objects.all()}
    made = []
    start = today - dt.timedelta(days=400)
    # The quality manual: written by the quality department, approved by the administrator.
    manual = documents.document_create(
        actor=auditor,
        kind=DocumentKind.MANUAL,
        department=departments["quality"],
        title="质量手册",
        title_en="Quality manual",
        owner=auditor,
        review_months=36,
        text=MANUAL,
    )
    _release(manual, auditor, admin, start)
    made.append(manual)
    for code, title, title_en, roles, text, text_en in PROCEDURES:
        document = documents.document_create(
            actor=head if code == "apartments" else auditor,
            kind=DocumentKind.PROCEDURE,
            department=departments[code],
            title=title,
            title_en=title_en,
            owner=head if code == "apartments" else auditor,
            applies_to=roles,
            review_months=12,
            text=text,
            text_en=text_en,
        )
        _release(
            document,
            head if code == "apartments" else auditor,
            admin if code != "apartments" else auditor,
            start,
        )
        made.append(document)
    # The dorm manager's procedure has a second version in force; the manager acknowledged it,
    # the shift lead has not (the coverage board shows it), and its review is overdue.
    procedure = made[1]
    second = documents.version_new(actor=head, document=procedure)
    documents.version_edit(
        actor=head,
        version=second,
        text=PROCEDURES[0][4].replace(
            "4. 每晚提交“零报告”。", "4. 每晚22:30前提交“零报告”。\n5. 发现晚归学生及时联系辅导员。"
        ),
        text_en=PROCEDURES[0][5],
        change_note="零报告时限；晚归联系辅导员",
    )
    _approve(second, head, auditor, start + dt.timedelta(days=30))
    manager = _user("manager")
    if manager is not None:
        documents.acknowledge(actor=manager, version=procedure.versions.get(number=2))
    for title, title_en, text in PLANS:
        plan = documents.document_create(
            actor=head,
            kind=DocumentKind.EMERGENCY_PLAN,
            department=departments["apartments"],
            title=title,
            title_en=title_en,
            owner=head,
            applies_to=["dorm_manager", "shift_lead"],
            review_months=24,
            text=text,
        )
        _release(plan, head, auditor, today - dt.timedelta(days=60))
        made.append(plan)
    # A draft waiting for review.
    draft = documents.document_create(
        actor=head,
        kind=DocumentKind.INSTRUCTION,
        department=departments["apartments"],
        title="床上用品发放作业指导书",
        title_en="Bedding kit hand-out instruction",
        owner=head,
        applies_to=["dorm_manager"],
        text="# 步骤\n\n1. 逐一验质验量\n2. 放入床位柜\n",
    )
    documents.version_submit(actor=head, version=draft.versions.get())
    made.append(draft)
    return made


def _release(document, author, approver, day) -> None:
    _approve(document.versions.get(number=1), author, approver, day)


def _approve(version, author, approver, day) -> None:
    """Approve as of `day` (in the past: the demo's history) and let it take effect."""
    from quality import documents

    if version.status == "draft":
        documents.version_submit(actor=author, version=version)
    documents.version_approve(actor=approver, version=version, effective_from=day, today=day)


def _seed_audits(auditor, admin, today) -> int:
    from quality import audits, training
    from quality.models import Qualification

    for user in (auditor, admin):
        training.qualification_grant(
            actor=admin,
            user=user,
            kind=Qualification.Kind.INTERNAL_AUDITOR,
            valid_from=dt.date(today.year - 1, 1, 1),
            valid_until=dt.date(today.year + 2, 12, 31),
        )
    plan = [
        ("apartments", 3, "7.5, 8.5, 10.2", "公寓服务与文件控制"),
        ("maintenance", 5, "7.2, 8.5, 9.1", "维修服务与时限承诺"),
        ("dining", 6, "8.5, 8.7", "饮食服务与食品安全"),
        ("reception", 9, "4, 5, 6, 7.1", "接待服务"),
        ("quality", 10, "9.1, 9.2, 9.3", "质量监控"),
    ]
    made = 0
    for code, month, clauses, scope in plan:
        department = Department.objects.get(code=code)
        audit = audits.audit_plan(
            actor=auditor,
            year=today.year,
            department=department,
            planned_date=dt.date(today.year, month, 15),
            scope=scope,
            clauses=clauses,
            auditors=[admin if code == "quality" else auditor],
            auditees=f"{department.name}主任及员工",
        )
        made += 1
        if code == "apartments":
            audits.finding_add(
                actor=auditor,
                audit=audit,
                clause="7.5",
                kind="conformity",
                text="现行工作流程均为受控版本。",
                evidence="抽查3栋楼值班室",
            )
            major = audits.finding_add(
                actor=auditor,
                audit=audit,
                clause="8.5",
                kind="minor",
                text="2号楼晚归登记缺少3天记录。",
                evidence="晚归登记本",
            )
            audits.finding_add(
                actor=auditor,
                audit=audit,
                clause="10.2",
                kind="observation",
                text="纠正措施验证记录可更详细。",
            )
            audits.finding_to_nc(actor=auditor, finding=major)
            audits.audit_issue(
                actor=auditor,
                audit=audit,
                summary="公寓中心质量管理体系运行基本有效。",
                strengths="文件受控良好，员工熟悉工作流程。",
                improvements="加强晚归登记的及时性。",
            )
    return made


def _seed_objectives(auditor, head, today) -> int:
    from quality import objectives
    from quality.models import QualityObjective

    dining_head = _user("dining") or auditor
    goals = [
        (
            "apartments",
            "投诉48小时内答复率",
            "Complaints answered within 48 h",
            "complaints_48h",
            90,
            "%",
            head,
        ),
        ("apartments", "住宿满意度", "Residents' satisfaction", "satisfaction", "4.2", "/5", head),
        (
            "maintenance",
            "维修限时完成率",
            "Repairs within their time limit",
            "repairs_on_time",
            95,
            "%",
            auditor,
        ),
        (
            "dining",
            "食品留样完整率",
            "Food-safety records kept",
            "food_samples",
            100,
            "%",
            dining_head,
        ),
    ]
    made = 0
    for code, title, title_en, measure, target, unit, owner in goals:
        goal = QualityObjective.objects.create(
            department=Department.objects.get(code=code),
            title=title,
            title_en=title_en,
            measure=measure,
            target=target,
            unit=unit,
            frequency=QualityObjective.Frequency.MONTHLY,
            owner=owner,
        )
        day = today
        for _month in range(12):
            start, end = objectives.last_completed_period(goal.frequency, day)
            if objectives.review_create(goal, start, end) is not None:
                made += 1
            day = start - dt.timedelta(days=1)
    return made


def _seed_training(auditor, documents, today) -> None:
    from quality import training
    from quality.models import TrainingSession

    people = [u for u in (_user("manager"), _user("shiftlead"), _user("technician")) if u]
    session = training.session_create(
        actor=auditor,
        topic="《管理员工作流程》培训与考核",
        trainer="刘审核",
        date=today - dt.timedelta(days=20),
        department=documents[1].department,
        documents=[documents[1]],
    )
    for person, score in zip(people, (92, 78, 58), strict=False):
        training.attendance_record(actor=auditor, session=session, user=person, score=score)
    contest = training.session_create(
        actor=auditor,
        kind=TrainingSession.Kind.CONTEST,
        topic="岗位知识竞赛",
        trainer="质量监控部",
        date=today - dt.timedelta(days=10),
    )
    for person, score in zip(people, (88, 95, 70), strict=False):
        training.attendance_record(actor=auditor, session=contest, user=person, score=score)
    # The year's plan: the two sessions held fulfil two entries; two more are still planned.
    department = documents[1].department
    for held, topic in ((session, "《管理员工作流程》培训与考核"), (contest, "岗位知识竞赛")):
        item = training.plan_item_add(
            actor=auditor,
            year=held.date.year,
            month=held.date.month,
            topic=topic,
            kind=held.kind,
            department=held.department,
        )
        training.session_link(actor=auditor, session=held, plan_item=item)
    year = today.year
    for month, topic, audience in (
        (min(today.month + 1, 12), "消防疏散预案演练", "全体员工"),
        (12, "内审员资格复训", "内审员"),
    ):
        training.plan_item_add(
            actor=auditor,
            year=year,
            month=month,
            topic=topic,
            department=None if audience == "全体员工" else department,
            audience=audience,
        )


def _seed_management_review(auditor, head, documents, today) -> None:
    """A management review whose action became a nonconformity and whose decision became an
    objective, each with one click."""
    from quality import management_reviews

    department = documents[1].department
    review = management_reviews.review_create(
        actor=auditor,
        date=today - dt.timedelta(days=5),
        period_start=dt.date(today.year, 1, 1),
        period_end=today,
        attendees="主任、各中心负责人、质量监控部",
        minutes="审议内审结果、质量目标达成情况、投诉与满意度。",
        decisions="晚归登记电子化；投诉48小时答复率目标提高到95%。",
    )
    action = management_reviews.action_add(
        actor=auditor,
        review=review,
        kind="action",
        text="晚归登记改为电子化，杜绝漏记",
        department=department,
        owner=head,
        due_date=today + dt.timedelta(days=60),
    )
    management_reviews.action_to_nc(actor=auditor, item=action)
    decision = management_reviews.action_add(
        actor=auditor,
        review=review,
        kind="decision",
        text="投诉48小时内答复率 ≥ 95%",
        department=department,
        owner=head,
        target=95,
        unit="%",
    )
    management_reviews.action_to_objective(actor=auditor, item=decision)
