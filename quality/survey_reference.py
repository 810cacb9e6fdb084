"""The surveys every installation starts with: the follow-up after a repair, the follow-up
after moving out, and the semester survey on the 22 SERVQUAL items (Parasuraman, Zeithaml and
Berry, 1988), each asked as an expectation and as a perception. Migration 0005 keeps its own
frozen copy, as migrations should; code that may find them missing (a flushed test database)
restores them from here with `survey_templates_ensure()`. Auditors change them afterwards by
publishing a new version (quality.surveys)."""

STARS, CHOICE, TEXT = "stars", "choice", "text"

# (key, kind, required, Chinese, English, dimension, characteristic, choices)
REPAIR_FOLLOW_UP = [
    (
        "on_time",
        STARS,
        True,
        "维修人员是否按约定时间上门？",
        "Did the technician come when promised?",
        "reliability",
        "timeliness",
        [],
    ),
    (
        "fixed",
        STARS,
        True,
        "故障是否一次修好？",
        "Was the fault fixed the first time?",
        "reliability",
        "function",
        [],
    ),
    (
        "courtesy",
        STARS,
        True,
        "维修人员是否礼貌、专业？",
        "Was the technician courteous and competent?",
        "assurance",
        "civility",
        [],
    ),
    (
        "tidy",
        CHOICE,
        False,
        "维修后现场是否清理干净？",
        "Was the place left clean after the repair?",
        "tangibles",
        "comfort",
        [
            {"key": "yes", "text": "是", "text_en": "Yes"},
            {"key": "partly", "text": "部分", "text_en": "Partly"},
            {"key": "no", "text": "否", "text_en": "No"},
        ],
    ),
    (
        "comment",
        TEXT,
        False,
        "还有什么想告诉我们的？",
        "Anything else you would like to tell us?",
        "",
        "",
        [],
    ),
]

MOVE_OUT_FOLLOW_UP = [
    (
        "smooth",
        STARS,
        True,
        "退宿手续办理是否顺畅？",
        "Did your move-out go smoothly?",
        "responsiveness",
        "timeliness",
        [],
    ),
    (
        "fair",
        STARS,
        True,
        "验房结果是否公正？",
        "Was the room inspection fair?",
        "assurance",
        "economy",
        [],
    ),
    (
        "helpful",
        STARS,
        True,
        "宿管人员是否热情周到？",
        "Were the dorm staff helpful and considerate?",
        "empathy",
        "civility",
        [],
    ),
    (
        "comment",
        TEXT,
        False,
        "对公寓服务还有什么建议？",
        "Any suggestion for the apartment service?",
        "",
        "",
        [],
    ),
]

# The 22 SERVQUAL items: (dimension, characteristic, Chinese, English), "服务" standing for
# the service area the window asks about.
SERVQUAL_ITEMS = [
    ("tangibles", "comfort", "设备设施现代化", "has modern-looking equipment"),
    ("tangibles", "comfort", "设施外观吸引人", "has visually appealing facilities"),
    ("tangibles", "civility", "员工衣着整洁", "has employees who are neat in appearance"),
    (
        "tangibles",
        "comfort",
        "服务相关的材料（告示、单据）清楚美观",
        "has clear, visually appealing materials (notices, forms)",
    ),
    (
        "reliability",
        "timeliness",
        "承诺在某时做到的事都能按时做到",
        "does what it promises by the time it promises",
    ),
    (
        "reliability",
        "civility",
        "遇到问题时真诚地帮助解决",
        "shows a sincere interest in solving your problem",
    ),
    ("reliability", "function", "第一次就把服务做好", "performs the service right the first time"),
    (
        "reliability",
        "timeliness",
        "在承诺的时间提供服务",
        "provides its services at the time it promises",
    ),
    ("reliability", "function", "记录准确无误", "keeps its records free of errors"),
    (
        "responsiveness",
        "timeliness",
        "告诉你服务的确切时间",
        "tells you exactly when services will be performed",
    ),
    ("responsiveness", "timeliness", "提供及时的服务", "gives you prompt service"),
    (
        "responsiveness",
        "civility",
        "员工总是乐于帮助你",
        "has employees always willing to help you",
    ),
    (
        "responsiveness",
        "timeliness",
        "员工再忙也会回应你的要求",
        "has employees never too busy to respond to your requests",
    ),
    (
        "assurance",
        "safety",
        "员工的行为让你信任",
        "has employees whose behaviour instils confidence",
    ),
    (
        "assurance",
        "safety",
        "在与之打交道时你感到安心",
        "makes you feel safe in your dealings with it",
    ),
    ("assurance", "civility", "员工始终礼貌待人", "has employees who are consistently courteous"),
    (
        "assurance",
        "function",
        "员工有足够的知识回答你的问题",
        "has employees with the knowledge to answer your questions",
    ),
    ("empathy", "civility", "给予你个别的关注", "gives you individual attention"),
    ("empathy", "comfort", "服务时间方便所有人", "has operating hours convenient to all"),
    (
        "empathy",
        "civility",
        "员工给予你个人的关心",
        "has employees who give you personal attention",
    ),
    ("empathy", "civility", "把你的利益放在心上", "has your best interests at heart"),
    (
        "empathy",
        "civility",
        "员工了解你的具体需要",
        "has employees who understand your specific needs",
    ),
]


def semester_questions():
    """The semester survey: each SERVQUAL item as an expectation (e01…e22) then as a
    perception (p01…p22), stars from 1 (strongly disagree) to 5 (strongly agree)."""
    questions = []
    for aspect, prefix, zh, en in (
        ("expectation", "e", "优秀的后勤服务应当：", "An excellent service "),
        ("perception", "p", "我校的这项服务：", "Our service "),
    ):
        for number, (dimension, characteristic, text, text_en) in enumerate(
            SERVQUAL_ITEMS, start=1
        ):
            questions.append(
                {
                    "key": f"{prefix}{number:02d}",
                    "kind": STARS,
                    "required": True,
                    "text": zh + text,
                    "text_en": en + text_en,
                    "dimension": dimension,
                    "characteristic": characteristic,
                    "aspect": aspect,
                    "item": number,
                    "choices": [],
                }
            )
    questions.append(
        {
            "key": "comment",
            "kind": TEXT,
            "required": False,
            "text": "您对后勤服务还有什么意见或建议？",
            "text_en": "Any comment or suggestion for the logistics services?",
            "dimension": "",
            "characteristic": "",
            "aspect": "",
            "item": None,
            "choices": [],
        }
    )
    return questions


def _plain(rows):
    return [
        {
            "key": key,
            "kind": kind,
            "required": required,
            "text": text,
            "text_en": text_en,
            "dimension": dimension,
            "characteristic": characteristic,
            "aspect": "",
            "item": None,
            "choices": choices,
        }
        for key, kind, required, text, text_en, dimension, characteristic, choices in rows
    ]


# (code, kind, area code, Chinese name, English name, questions)
SURVEY_TEMPLATES = [
    (
        "repair",
        "repair",
        "maintenance_utilities",
        "维修回访",
        "Repair follow-up",
        _plain(REPAIR_FOLLOW_UP),
    ),
    (
        "move_out",
        "move_out",
        "apartments",
        "退宿回访",
        "Move-out follow-up",
        _plain(MOVE_OUT_FOLLOW_UP),
    ),
    (
        "semester",
        "semester",
        None,
        "学期服务质量调查（SERVQUAL）",
        "Semester service quality survey (SERVQUAL)",
        semester_questions(),
    ),
]


def survey_templates_ensure(apps=None):
    """The shipped surveys, each with a published version 1, created where missing (a survey
    that exists is left as the auditors made it). Returns {code: SurveyTemplate}."""
    from logistics.reference import service_areas_ensure

    if apps is None:
        from quality.models import SurveyQuestion, SurveyTemplate, SurveyVersion
    else:
        SurveyTemplate = apps.get_model("quality", "SurveyTemplate")
        SurveyVersion = apps.get_model("quality", "SurveyVersion")
        SurveyQuestion = apps.get_model("quality", "SurveyQuestion")
    areas = service_areas_ensure() if apps is None else None
    if apps is not None:
        ServiceArea = apps.get_model("logistics", "ServiceArea")
        areas = {a.code: a for a in ServiceArea.objects.all()}
    templates = {}
    for code, kind, area_code, name, name_en, questions in SURVEY_TEMPLATES:
        template, created = SurveyTemplate.objects.get_or_create(
            code=code,
            defaults={
                "kind": kind,
                "name": name,
                "name_en": name_en,
                "area": areas.get(area_code) if area_code else None,
            },
        )
        templates[code] = template
        if not created and SurveyVersion.objects.filter(template=template).exists():
            continue
        from django.utils import timezone

        version = SurveyVersion.objects.create(
            template=template, number=1, status="published", published_at=timezone.now()
        )
        SurveyQuestion.objects.bulk_create(
            [
                SurveyQuestion(version=version, position=position, **question)
                for position, question in enumerate(questions, start=1)
            ]
        )
    return templates
