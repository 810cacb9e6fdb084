"""Quality management (ISO 9001): service standards as versioned checklists, inspection records
sealed in a tamper-evident chain, nonconformities with their corrective actions, complaints.

Writes go through quality.services (checklists, inspections, seals), quality.nonconformities
and quality.complaints; nothing here has side effects in save().
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from logistics.models import BilingualName, Campus, Department, ServiceArea


class Servqual(models.TextChoices):
    """The five SERVQUAL dimensions of service quality."""

    TANGIBLES = "tangibles", _("Tangibles")
    RELIABILITY = "reliability", _("Reliability")
    RESPONSIVENESS = "responsiveness", _("Responsiveness")
    ASSURANCE = "assurance", _("Assurance")
    EMPATHY = "empathy", _("Empathy")


class Characteristic(models.TextChoices):
    """The six service characteristics of the group's standards."""

    FUNCTION = "function", _("Function")
    SAFETY = "safety", _("Safety")
    ECONOMY = "economy", _("Economy")
    TIMELINESS = "timeliness", _("Timeliness")
    CIVILITY = "civility", _("Civility")
    COMFORT = "comfort", _("Comfort")


class HistoryEvent(models.Model):
    """One step in the history of a nonconformity or a complaint: when, by whom, a note.
    Written once and never changed or deleted (on PostgreSQL the database refuses it,
    migration 0003; docs/quality.md)."""

    at = models.DateTimeField(_("at"), auto_now_add=True)
    # PROTECT, not SET_NULL: a history row is never rewritten (on PostgreSQL a trigger refuses
    # it), so deleting someone named in one is refused by Django, cleanly, not by the database.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "id"]


# --- Service standards: checklists -------------------------------------------------------------


class Checklist(BilingualName):
    """The inspection checklist of one service area's standard (e.g. 学生公寓服务质量检查表).
    Its items live in versions; inspections use a published version and keep it for good."""

    area = models.ForeignKey(
        ServiceArea, on_delete=models.PROTECT, related_name="checklists", verbose_name=_("area")
    )
    code = models.SlugField(_("code"), max_length=40, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["area__position", "code"]
        verbose_name = _("checklist")
        verbose_name_plural = _("checklists")


class ChecklistVersion(models.Model):
    """One version of a checklist. A draft may be edited; publishing freezes it (and retires
    the version published before); changing a published checklist means a new draft."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    checklist = models.ForeignKey(
        Checklist, on_delete=models.PROTECT, related_name="versions", verbose_name=_("checklist")
    )
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )

    class Meta:
        ordering = ["checklist", "-number"]
        verbose_name = _("checklist version")
        verbose_name_plural = _("checklist versions")
        constraints = [
            models.UniqueConstraint(fields=["checklist", "number"], name="checklistversion_unique"),
            # At most one published version per checklist: the one inspections start from.
            models.UniqueConstraint(
                fields=["checklist"],
                condition=Q(status="published"),
                name="checklistversion_one_published",
            ),
            models.UniqueConstraint(
                fields=["checklist"],
                condition=Q(status="draft"),
                name="checklistversion_one_draft",
            ),
        ]

    def __str__(self):
        return f"{self.checklist} v{self.number}"


class ChecklistItem(models.Model):
    """One requirement of a checklist version, with its weight and how it is scored."""

    class Rule(models.TextChoices):
        SCORE = "score", _("Score")
        PASS_FAIL = "pass_fail", _("Pass / fail")

    version = models.ForeignKey(
        ChecklistVersion, on_delete=models.CASCADE, related_name="items", verbose_name=_("version")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    text = models.CharField(_("requirement"), max_length=300)
    text_en = models.CharField(_("requirement in English"), max_length=300, blank=True)
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2, default=1)
    rule = models.CharField(_("scoring rule"), max_length=10, choices=Rule.choices)
    max_score = models.PositiveSmallIntegerField(
        _("maximum score"), default=10, help_text=_("For items scored with a number.")
    )
    allow_na = models.BooleanField(_("may be not applicable"), default=True)
    servqual = models.CharField(_("SERVQUAL dimension"), max_length=20, choices=Servqual.choices)
    characteristic = models.CharField(
        _("service characteristic"), max_length=20, choices=Characteristic.choices
    )

    class Meta:
        ordering = ["version", "position", "id"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        constraints = [
            models.CheckConstraint(condition=Q(weight__gt=0), name="checklistitem_weight_positive"),
            models.CheckConstraint(
                condition=Q(max_score__gt=0), name="checklistitem_max_score_positive"
            ),
        ]

    def __str__(self):
        return self.display_text

    @property
    def display_text(self) -> str:
        from django.utils.translation import get_language

        if (get_language() or "").startswith("en") and self.text_en:
            return self.text_en
        return self.text


# --- Inspection records, sealed in a chain -----------------------------------------------------


class Inspection(models.Model):
    """An auditor's inspection record (检查记录). While a draft it is the auditor's to fill in;
    submitting seals it: it joins the chain of sealed records and is never changed again. A
    correction is a new record that `amends` the original and gives a reason."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SEALED = "sealed", _("Submitted and sealed")

    version = models.ForeignKey(
        ChecklistVersion,
        on_delete=models.PROTECT,
        related_name="inspections",
        verbose_name=_("checklist version"),
    )
    area = models.ForeignKey(
        ServiceArea, on_delete=models.PROTECT, related_name="inspections", verbose_name=_("area")
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="inspections",
        verbose_name=_("department"),
    )
    campus = models.ForeignKey(
        Campus,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspections",
        verbose_name=_("campus"),
    )
    place = models.CharField(_("place"), max_length=200)
    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="inspections",
        verbose_name=_("auditor"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    note = models.TextField(_("overall remarks"), blank=True)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    # The weighted score in percent of the applicable maximum, fixed when sealed.
    score = models.DecimalField(
        _("score (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    amends = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="amendments",
        verbose_name=_("amends"),
    )
    amendment_reason = models.CharField(_("reason for the amendment"), max_length=500, blank=True)

    # The seal: the record's place in the chain, the previous seal and this one's hash.
    sequence = models.PositiveBigIntegerField(_("chain position"), null=True, blank=True)
    previous_seal = models.CharField(_("previous seal"), max_length=64, blank=True)
    seal = models.CharField(_("seal"), max_length=64, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("inspection record")
        verbose_name_plural = _("inspection records")
        constraints = [
            models.UniqueConstraint(
                fields=["sequence"], condition=Q(sequence__isnull=False), name="inspection_seq"
            ),
            models.CheckConstraint(
                condition=(
                    Q(status="draft", sequence__isnull=True, seal="")
                    | (Q(status="sealed", sequence__isnull=False) & ~Q(seal=""))
                ),
                name="inspection_sealed_has_seal",
            ),
            models.CheckConstraint(
                condition=Q(amends__isnull=True) | ~Q(amendment_reason=""),
                name="inspection_amendment_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "-submitted_at"], name="inspection_dept_idx"),
            models.Index(fields=["auditor", "status"], name="inspection_auditor_idx"),
        ]

    def __str__(self):
        return self.number

    @property
    def number(self) -> str:
        return f"QI-{self.pk}"

    @property
    def is_sealed(self) -> bool:
        return self.status == self.Status.SEALED


class InspectionAnswer(models.Model):
    """The auditor's finding on one checklist item."""

    class Result(models.TextChoices):
        SCORED = "scored", _("Scored")
        PASS = "pass", _("Pass")
        FAIL = "fail", _("Fail")
        NOT_APPLICABLE = "na", _("Not applicable")

    inspection = models.ForeignKey(
        Inspection, on_delete=models.CASCADE, related_name="answers", verbose_name=_("inspection")
    )
    item = models.ForeignKey(
        ChecklistItem, on_delete=models.PROTECT, related_name="answers", verbose_name=_("item")
    )
    result = models.CharField(_("result"), max_length=10, choices=Result.choices, blank=True)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    photo = models.ForeignKey(
        "logistics.Photo",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("photo"),
    )
    # The photo file's SHA-256 when the record was sealed: the seal covers the picture too.
    photo_sha256 = models.CharField(_("photo fingerprint"), max_length=64, blank=True)

    class Meta:
        ordering = ["item__position", "item_id"]
        verbose_name = _("inspection answer")
        verbose_name_plural = _("inspection answers")
        constraints = [
            models.UniqueConstraint(fields=["inspection", "item"], name="answer_unique_item"),
        ]

    def __str__(self):
        return f"{self.inspection_id}/{self.item_id}: {self.result}"

    @property
    def failed(self) -> bool:
        """A finding that calls for a nonconformity: a fail, or a score below 60% of the
        item's maximum."""
        if self.result == self.Result.FAIL:
            return True
        if self.result == self.Result.SCORED and self.score is not None:
            return self.score * 10 < self.item.max_score * 6
        return False


class ChainAnchor(models.Model):
    """The head of the seal chain written down at a moment (nightly, and on demand). Someone
    who rewrites the whole chain from a point on, recomputing every later seal, still cannot
    make it agree with an anchor taken before."""

    sequence = models.PositiveBigIntegerField(_("chain position"))
    seal = models.CharField(_("seal"), max_length=64)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("chain anchor")
        verbose_name_plural = _("chain anchors")

    def __str__(self):
        return f"{self.sequence} {self.seal[:12]}"


# --- Nonconformities and corrective actions ------------------------------------------------


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")
    CRITICAL = "critical", _("Critical")


class Nonconformity(models.Model):
    """A nonconformity (不合格) and its handling: the owner records the root cause, the
    correction, the corrective and preventive actions (纠正措施, 预防措施) and a due date; an
    auditor verifies that they worked before it can close."""

    class Source(models.TextChoices):
        INSPECTION = "inspection", pgettext_lazy("nonconformity source", "Inspection")
        COMPLAINT = "complaint", _("Complaint")
        MANUAL = "manual", _("Raised by hand")
        AUDIT = "audit", _("Internal audit")
        OBJECTIVE = "objective", _("Quality objective missed")
        REVIEW = "review", _("Management review")

    class Status(models.TextChoices):
        OPEN = "open", _("Open: waiting for the action plan")
        ANSWERED = "answered", _("Action taken: waiting for verification")
        CLOSED = "closed", _("Verified effective and closed")

    OPEN_STATUSES = (Status.OPEN, Status.ANSWERED)

    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    inspection = models.ForeignKey(
        Inspection,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="nonconformities",
        verbose_name=_("inspection"),
    )
    answer = models.ForeignKey(
        InspectionAnswer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="nonconformities",
        verbose_name=_("inspection finding"),
    )
    complaint = models.ForeignKey(
        "Complaint",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="nonconformities",
        verbose_name=_("complaint"),
    )
    audit_finding = models.ForeignKey(
        "AuditFinding",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="nonconformities",
        verbose_name=_("audit finding"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="nonconformities",
        verbose_name=_("department"),
    )
    campus = models.ForeignKey(
        Campus,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="nonconformities",
        verbose_name=_("campus"),
    )
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    evidence = models.ForeignKey(
        "logistics.Photo",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("evidence photo"),
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="raised_nonconformities",
        verbose_name=_("raised by"),
    )
    raised_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_nonconformities",
        verbose_name=_("owner"),
        help_text=_("Who answers for the action; empty: the department's head."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    # The owner's answer.
    root_cause = models.TextField(_("root cause"), blank=True)
    correction = models.TextField(_("correction"), blank=True)
    corrective_action = models.TextField(_("corrective action"), blank=True)
    preventive_action = models.TextField(_("preventive action"), blank=True)
    due_date = models.DateField(_("action due"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    # The auditor's verification of effectiveness.
    verification_note = models.TextField(_("verification"), blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by"),
    )
    times_rejected = models.PositiveSmallIntegerField(_("times found not effective"), default=0)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("nonconformity")
        verbose_name_plural = _("nonconformities")
        constraints = [
            models.CheckConstraint(
                condition=~Q(source="inspection") | Q(inspection__isnull=False),
                name="nonconformity_inspection_source",
            ),
            models.CheckConstraint(
                condition=~Q(source="complaint") | Q(complaint__isnull=False),
                name="nonconformity_complaint_source",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(verified_at__isnull=False),
                name="nonconformity_closed_verified",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "status"], name="nc_department_status_idx"),
            models.Index(fields=["owner", "status"], name="nc_owner_idx"),
        ]

    def __str__(self):
        return self.number

    @property
    def number(self) -> str:
        return f"NC-{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class NonconformityEvent(HistoryEvent):
    """The history of a nonconformity: raised, answered, rejected, verified."""

    class Kind(models.TextChoices):
        RAISED = "raised", _("Raised")
        ASSIGNED = "assigned", _("Owner assigned")
        ANSWERED = "answered", _("Action recorded")
        REJECTED = "rejected", _("Found not effective")
        CLOSED = "closed", _("Verified and closed")

    nonconformity = models.ForeignKey(
        Nonconformity,
        on_delete=models.PROTECT,  # a nonconformity with a history is kept on record
        related_name="events",
        verbose_name=_("nonconformity"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)

    class Meta(HistoryEvent.Meta):
        verbose_name = _("nonconformity event")
        verbose_name_plural = _("nonconformity events")

    def __str__(self):
        return f"{self.nonconformity_id} {self.kind}"


# --- Complaints ------------------------------------------------------------------------------


class ComplaintCategory(BilingualName):
    """What a complaint is about, and so which department answers it and how fast."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="complaint_categories",
        verbose_name=_("responsible department"),
    )
    response_hours = models.PositiveIntegerField(_("answer within (hours)"), default=48)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("complaint category")
        verbose_name_plural = _("complaint categories")
        constraints = [
            models.CheckConstraint(
                condition=Q(response_hours__gt=0), name="complaintcategory_hours_positive"
            ),
        ]


class Complaint(models.Model):
    """A complaint or suggestion (投诉与建议) from the hotline, the suggestion box or the web."""

    class Channel(models.TextChoices):
        HOTLINE = "hotline", _("Hotline")
        SUGGESTION_BOX = "box", _("Suggestion box")
        WEB = "web", _("Web")

    class Status(models.TextChoices):
        NEW = "new", _("Waiting for an answer")
        ANSWERED = "answered", _("Answered")
        CLOSED = "closed", _("Closed")

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    category = models.ForeignKey(
        ComplaintCategory,
        on_delete=models.PROTECT,
        related_name="complaints",
        verbose_name=_("category"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="complaints",
        verbose_name=_("department"),
    )
    campus = models.ForeignKey(
        Campus,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("campus"),
    )
    subject = models.CharField(_("subject"), max_length=200)
    text = models.TextField(_("complaint"))
    # Who complained: a portal user (web), or nobody known (a box slip, an anonymous call).
    complainant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("complainant"),
    )
    # Anonymous: the complainant follows their complaint, but staff never see who they are.
    anonymous = models.BooleanField(_("anonymous"), default=False)
    contact_name = models.CharField(_("contact name"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )
    received_at = models.DateTimeField(_("received at"))
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    respond_by = models.DateTimeField(_("answer due"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_complaints",
        verbose_name=_("handled by"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="new")
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    first_answered_at = models.DateTimeField(_("first answered at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    satisfied = models.BooleanField(_("satisfied with the answer"), null=True, blank=True)
    feedback = models.CharField(_("feedback on the answer"), max_length=500, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        constraints = [
            models.CheckConstraint(
                condition=~Q(channel="web") | Q(complainant__isnull=False),
                name="complaint_web_has_complainant",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "status"], name="complaint_dept_status_idx"),
            models.Index(fields=["complainant", "-received_at"], name="complaint_user_idx"),
            models.Index(fields=["channel", "received_at"], name="complaint_channel_idx"),
        ]

    def __str__(self):
        return self.number

    @property
    def number(self) -> str:
        return f"CP-{self.pk}"


class ComplaintEvent(HistoryEvent):
    """The history of a complaint: received, assigned, answered, the complainant's feedback,
    closed, turned into a nonconformity."""

    class Kind(models.TextChoices):
        RECEIVED = "received", _("Received")
        ROUTED = "routed", _("Routed to a department")
        ASSIGNED = "assigned", _("Assigned")
        ANSWERED = "answered", _("Answered")
        SATISFIED = "satisfied", _("Complainant satisfied")
        UNSATISFIED = "unsatisfied", _("Complainant not satisfied")
        CLOSED = "closed", _("Closed")
        NONCONFORMITY = "nc", _("Nonconformity raised")

    complaint = models.ForeignKey(
        Complaint,
        on_delete=models.PROTECT,  # a complaint with a history is kept on record
        related_name="events",
        verbose_name=_("complaint"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)

    class Meta(HistoryEvent.Meta):
        verbose_name = _("complaint event")
        verbose_name_plural = _("complaint events")

    def __str__(self):
        return f"{self.complaint_id} {self.kind}"


# --- Satisfaction surveys (quality.surveys) ----------------------------------------------------


class SurveyTemplate(BilingualName):
    """A satisfaction survey (满意度调查): a follow-up after a service, or the semester
    survey. Its questions live in versions, published and frozen like a checklist's."""

    class Kind(models.TextChoices):
        REPAIR = "repair", _("Follow-up after a repair")
        MOVE_OUT = "move_out", _("Follow-up after moving out")
        SEMESTER = "semester", _("Semester survey")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    area = models.ForeignKey(
        ServiceArea,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="survey_templates",
        verbose_name=_("service area"),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")


class SurveyVersion(models.Model):
    """One version of a survey's questions: a draft may change, a published one never."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    template = models.ForeignKey(
        SurveyTemplate, on_delete=models.PROTECT, related_name="versions", verbose_name=_("survey")
    )
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        ordering = ["template", "-number"]
        verbose_name = _("survey version")
        verbose_name_plural = _("survey versions")
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="surveyversion_unique"),
            models.UniqueConstraint(
                fields=["template"],
                condition=Q(status="published"),
                name="surveyversion_one_published",
            ),
            models.UniqueConstraint(
                fields=["template"], condition=Q(status="draft"), name="surveyversion_one_draft"
            ),
        ]

    def __str__(self):
        return f"{self.template} v{self.number}"


class SurveyQuestion(models.Model):
    """One question: stars 1–5, a choice, or free text; tagged with its SERVQUAL dimension and
    service characteristic. A semester survey asks each SERVQUAL item twice: what the person
    expects of an excellent service (`expectation`) and what they perceive of ours."""

    class Kind(models.TextChoices):
        STARS = "stars", _("Stars (1–5)")
        CHOICE = "choice", _("A choice")
        TEXT = "text", _("Free text")

    class Aspect(models.TextChoices):
        NONE = "", _("Satisfaction")
        EXPECTATION = "expectation", _("Expectation")
        PERCEPTION = "perception", _("Perception")

    version = models.ForeignKey(
        SurveyVersion, on_delete=models.CASCADE, related_name="questions", verbose_name=_("version")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    key = models.SlugField(_("key"), max_length=40)
    text = models.CharField(_("question"), max_length=300)
    text_en = models.CharField(_("question in English"), max_length=300)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    required = models.BooleanField(_("required"), default=True)
    # For a choice: [{"key", "text", "text_en"}, …].
    choices = models.JSONField(_("choices"), default=list, blank=True)
    dimension = models.CharField(
        _("SERVQUAL dimension"), max_length=20, choices=Servqual.choices, blank=True
    )
    characteristic = models.CharField(
        _("service characteristic"), max_length=20, choices=Characteristic.choices, blank=True
    )
    aspect = models.CharField(
        _("asked as"), max_length=12, choices=Aspect.choices, default="", blank=True
    )
    item = models.PositiveSmallIntegerField(_("SERVQUAL item"), null=True, blank=True)

    class Meta:
        ordering = ["version", "position", "id"]
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="surveyquestion_unique_key"),
        ]

    def __str__(self):
        return self.key

    @property
    def display_text(self) -> str:
        from django.utils.translation import get_language

        if (get_language() or "").startswith("en") and self.text_en:
            return self.text_en
        return self.text

    def choice_list(self) -> list[dict]:
        from django.utils.translation import get_language

        english = (get_language() or "").startswith("en")
        return [
            {"key": c["key"], "text": (c.get("text_en") if english else None) or c["text"]}
            for c in self.choices
        ]


class SurveyWindow(models.Model):
    """The semester survey's window, set by the auditors: from `start` to `end` everyone in
    the population (a share of each building's residents) is invited once."""

    class Population(models.TextChoices):
        RESIDENTS = "residents", _("Residents of the apartments")
        STAFF = "staff", _("Staff of the logistics group")
        EVERYONE = "everyone", _("Residents and staff")

    version = models.ForeignKey(
        SurveyVersion, on_delete=models.PROTECT, related_name="windows", verbose_name=_("survey")
    )
    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("title in English"), max_length=200, blank=True)
    area = models.ForeignKey(
        ServiceArea,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service area"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("department"),
    )
    start = models.DateField(_("from"))
    end = models.DateField(_("until"))
    population = models.CharField(
        _("population"), max_length=12, choices=Population.choices, default=Population.RESIDENTS
    )
    # Percent of each building's residents invited: {"<building id>": 1–100}; a building not
    # named is asked in full (`default_share`).
    shares = models.JSONField(_("sample share per building"), default=dict, blank=True)
    default_share = models.PositiveSmallIntegerField(_("sample share (%)"), default=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("set by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-start", "-id"]
        verbose_name = _("semester survey window")
        verbose_name_plural = _("semester survey windows")
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="window_dates"),
            models.CheckConstraint(
                condition=Q(default_share__gte=0, default_share__lte=100), name="window_share"
            ),
        ]

    def __str__(self):
        return self.title


class SurveyInvitation(models.Model):
    """An invitation to answer a survey, with its unguessable token. It knows the person and
    the service, and only whether it was answered: the answer (SurveyResponse) is stored apart,
    with no key to it and no time finer than the day."""

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for an answer")
        ANSWERED = "answered", _("Answered")
        EXPIRED = "expired", _("Expired")
        OPTED_OUT = "opted_out", _("Declined")

    token = models.CharField(_("token"), max_length=64, unique=True)
    version = models.ForeignKey(
        SurveyVersion,
        on_delete=models.PROTECT,
        related_name="invitations",
        verbose_name=_("survey"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="survey_invitations",
        verbose_name=_("person"),
    )
    # The service asked about, one invitation each: "ticket:12", "move_out:7", "window:3:55".
    service = models.CharField(_("service"), max_length=60, unique=True)
    about = models.CharField(_("about"), max_length=200)
    about_en = models.CharField(_("about (English)"), max_length=200, blank=True)
    window = models.ForeignKey(
        SurveyWindow,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name=_("semester window"),
    )
    # Where the answer will count (copied onto the response).
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    area = models.ForeignKey(
        ServiceArea, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    building_id = models.IntegerField(_("building"), null=True, blank=True)
    technician_id = models.IntegerField(_("technician"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    invited_on = models.DateField(_("invited on"))
    expires_on = models.DateField(_("expires on"))
    reminded_on = models.DateField(_("reminded on"), null=True, blank=True)

    class Meta:
        ordering = ["-invited_on", "-id"]
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        indexes = [
            models.Index(
                fields=["user"], condition=Q(status="open"), name="invitation_open_user_idx"
            ),
            models.Index(fields=["status", "expires_on"], name="invitation_status_idx"),
            models.Index(fields=["version", "status"], name="invitation_version_idx"),
        ]

    def __str__(self):
        return self.service

    @property
    def display_about(self) -> str:
        from django.utils.translation import get_language

        if (get_language() or "").startswith("en") and self.about_en:
            return self.about_en
        return self.about


class SurveyOptOut(models.Model):
    """A person who asked not to be sent a survey again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    template = models.ForeignKey(SurveyTemplate, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "template"], name="survey_optout_unique"),
        ]

    def __str__(self):
        return f"{self.user_id} / {self.template_id}"


class SurveyResponse(models.Model):
    """An answer to a survey. Deliberately without the invitation, the person or a time: only
    the day it came and where it counts (department, area, building, technician), so nobody,
    not even the administrator, can join it to the person who gave it."""

    version = models.ForeignKey(
        SurveyVersion, on_delete=models.PROTECT, related_name="responses", verbose_name=_("survey")
    )
    answered_on = models.DateField(_("answered on"))
    window = models.ForeignKey(
        SurveyWindow, on_delete=models.PROTECT, null=True, blank=True, related_name="responses"
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    area = models.ForeignKey(
        ServiceArea, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    building_id = models.IntegerField(_("building"), null=True, blank=True)
    technician_id = models.IntegerField(_("technician"), null=True, blank=True)

    class Meta:
        # Never by id: the order of ids is the order of answers.
        ordering = ["-answered_on"]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        indexes = [
            models.Index(fields=["version", "answered_on"], name="response_version_idx"),
            models.Index(fields=["department", "answered_on"], name="response_department_idx"),
        ]

    def __str__(self):
        return f"{self.version_id} {self.answered_on}"


class SurveyAnswer(models.Model):
    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(SurveyQuestion, on_delete=models.PROTECT, related_name="answers")
    stars = models.PositiveSmallIntegerField(null=True, blank=True)
    choice = models.CharField(max_length=40, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="answer_unique"),
            models.CheckConstraint(
                condition=Q(stars__isnull=True) | Q(stars__gte=1, stars__lte=5),
                name="surveyanswer_stars_1_to_5",
            ),
        ]

    def __str__(self):
        return f"{self.question_id}"


# --- Department scorecards (quality.scorecards) -----------------------------------------------


class ScorecardWeights(models.Model):
    """The weights of the scorecard's components, as the quality department set them; the
    latest applies to the next computation and is copied into every scorecard computed."""

    weights = models.JSONField(_("weights"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    set_at = models.DateTimeField(_("set at"), auto_now_add=True)

    class Meta:
        ordering = ["-set_at", "-id"]
        verbose_name = _("scorecard weights")
        verbose_name_plural = _("scorecard weights")

    def __str__(self):
        return f"{self.set_at:%Y-%m-%d}"


class Scorecard(models.Model):
    """One department's scorecard for one period (a month "2026-11" or a semester
    "2026-S2"): the weighted score, each component's score, weight and count, and the weights
    used. Once published it is frozen (on PostgreSQL the database refuses a change)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Computed")
        PUBLISHED = "published", _("Published")

    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="scorecards",
        verbose_name=_("department"),
    )
    period = models.CharField(_("period"), max_length=10)
    start = models.DateField(_("from"))
    end = models.DateField(_("until"))
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True, blank=True)
    components = models.JSONField(_("components"), default=dict)
    weights = models.JSONField(_("weights"), default=dict)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    computed_at = models.DateTimeField(_("computed at"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    award = models.CharField(_("award"), max_length=200, blank=True)

    class Meta:
        ordering = ["period", "department__code"]
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        constraints = [
            models.UniqueConstraint(fields=["department", "period"], name="scorecard_unique"),
        ]

    def __str__(self):
        return f"{self.department} {self.period}"


# --- Controlled documents (文件控制), internal audits, objectives, training (issue 16) ---------


class DocumentKind(models.TextChoices):
    """The kinds of controlled document, with the prefix of their number (TYPE-DEPT-SEQ)."""

    MANUAL = "QM", _("Quality manual")
    PROCEDURE = "PR", _("Procedure")
    INSTRUCTION = "WI", _("Work instruction")
    FORM = "FM", _("Form")
    EMERGENCY_PLAN = "EP", _("Emergency plan")


class ControlledDocument(models.Model):
    """A controlled document: its number, owner and scope. Its text lives in versions; the
    periodic review date is the document's (a review that changes nothing never touches the
    effective version, which is frozen)."""

    REVIEW_MONTHS = [(12, _("12 months")), (24, _("24 months")), (36, _("36 months"))]

    kind = models.CharField(_("kind"), max_length=2, choices=DocumentKind.choices)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="documents", verbose_name=_("department")
    )
    area = models.ForeignKey(
        ServiceArea,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("service area"),
    )
    sequence = models.PositiveIntegerField(_("sequence"))
    number = models.CharField(_("number"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("title in English"), max_length=200, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_documents",
        verbose_name=_("owner"),
    )
    # Roles (logistics.Role values) whose holders in the department must acknowledge it.
    applies_to = models.JSONField(_("applies to roles"), default=list, blank=True)
    review_months = models.PositiveSmallIntegerField(
        _("periodic review"), choices=REVIEW_MONTHS, default=12
    )
    review_due = models.DateField(_("next review"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("controlled document")
        verbose_name_plural = _("controlled documents")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "department", "sequence"], name="controlleddocument_sequence"
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def display_title(self):
        from django.utils.translation import get_language

        if self.title_en and (get_language() or "").startswith("en"):
            return self.title_en
        return self.title


class DocumentVersion(models.Model):
    """One version of a controlled document: Draft → In review → Approved (by someone other
    than its author) → Effective on its date → Superseded by the next. An effective,
    superseded or withdrawn version is never edited (on PostgreSQL the database refuses it,
    migration 0008): the only change it takes is its retirement."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        APPROVED = "approved", _("Approved")
        EFFECTIVE = "effective", _("Effective")
        SUPERSEDED = "superseded", _("Superseded")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    OPEN_STATUSES = (Status.DRAFT, Status.IN_REVIEW, Status.APPROVED)
    FROZEN_STATUSES = (Status.EFFECTIVE, Status.SUPERSEDED, Status.WITHDRAWN)

    document = models.ForeignKey(
        ControlledDocument,
        on_delete=models.PROTECT,
        related_name="versions",
        verbose_name=_("document"),
    )
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    text = models.TextField(_("text (Markdown)"), blank=True)
    text_en = models.TextField(_("text in English (Markdown)"), blank=True)
    pdf = models.FileField(_("PDF file"), upload_to="documents/%Y/", blank=True)
    change_note = models.CharField(_("what changed"), max_length=300, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("sent for review at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    retired_on = models.DateField(_("superseded or withdrawn on"), null=True, blank=True)

    class Meta:
        ordering = ["document", "-number"]
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="documentversion_unique"),
            models.UniqueConstraint(
                fields=["document"],
                condition=Q(status="effective"),
                name="documentversion_one_effective",
            ),
            models.UniqueConstraint(
                fields=["document"],
                condition=Q(status__in=["draft", "in_review", "approved"]),
                name="documentversion_one_open",
            ),
        ]

    def __str__(self):
        return f"{self.document.number} v{self.number}"

    @property
    def is_frozen(self) -> bool:
        return self.status in self.FROZEN_STATUSES

    @property
    def is_retired(self) -> bool:
        return self.status in (self.Status.SUPERSEDED, self.Status.WITHDRAWN)


class DocumentAcknowledgement(models.Model):
    """A staff member's "read and understood" of one effective version."""

    version = models.ForeignKey(
        DocumentVersion,
        on_delete=models.PROTECT,
        related_name="acknowledgements",
        verbose_name=_("version"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="document_acknowledgements",
        verbose_name=_("user"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["version", "at"]
        verbose_name = _("acknowledgement")
        verbose_name_plural = _("acknowledgements")
        constraints = [
            models.UniqueConstraint(fields=["version", "user"], name="acknowledgement_unique"),
        ]

    def __str__(self):
        return f"{self.user_id} → {self.version_id}"


class Qualification(models.Model):
    """What a staff member is qualified for, and until when (e.g. internal auditor)."""

    class Kind(models.TextChoices):
        INTERNAL_AUDITOR = "internal_auditor", _("Internal auditor")
        FIRST_AID = "first_aid", _("First aid")
        FOOD_SAFETY = "food_safety", _("Food safety")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="qualifications",
        verbose_name=_("staff member"),
    )
    kind = models.CharField(_("qualification"), max_length=20, choices=Kind.choices)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    session = models.ForeignKey(
        "TrainingSession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="qualifications",
        verbose_name=_("training session"),
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("granted by"),
    )

    class Meta:
        ordering = ["user", "kind", "-valid_until"]
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")

    def __str__(self):
        return f"{self.user} {self.get_kind_display()} {self.valid_until}"


class TrainingSession(models.Model):
    """A training session (or a knowledge contest, 岗位知识竞赛) and the documents it covered."""

    class Kind(models.TextChoices):
        TRAINING = "training", _("Training")
        CONTEST = "contest", _("Knowledge contest")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TRAINING)
    topic = models.CharField(_("topic"), max_length=200)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="training_sessions",
        verbose_name=_("department"),
    )
    trainer = models.CharField(_("trainer"), max_length=100)
    date = models.DateField(_("date"))
    planned = models.BooleanField(_("in the year's plan"), default=True)
    plan_item = models.ForeignKey(
        "TrainingPlanItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("training plan entry"),
    )
    documents = models.ManyToManyField(
        ControlledDocument,
        blank=True,
        related_name="training_sessions",
        verbose_name=_("documents"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-date", "pk"]
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")

    def __str__(self):
        return f"{self.date} {self.topic}"


class TrainingAttendance(models.Model):
    """One person at one session, with their quiz or assessment result (0–100)."""

    session = models.ForeignKey(
        TrainingSession, on_delete=models.CASCADE, related_name="attendance"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="trainings"
    )
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1, null=True, blank=True)
    passed = models.BooleanField(_("passed"), null=True)

    class Meta:
        ordering = ["session", "-score", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="attendance_unique"),
        ]

    def __str__(self):
        return f"{self.session_id} {self.user_id}"


class AuditProgramme(models.Model):
    """The year's internal audit programme: every department and ISO clause once a year."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("audit programme")
        verbose_name_plural = _("audit programmes")

    def __str__(self):
        return str(self.year)


class AuditQuestion(models.Model):
    """A reusable checklist question for one ISO 9001 clause."""

    clause = models.CharField(_("clause"), max_length=10)
    text = models.CharField(_("question"), max_length=300)
    text_en = models.CharField(_("question in English"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("in use"), default=True)
    # A question an audit has used is never rewritten: a change is a new version that replaces
    # it (the old one retired, its findings still pointing at the words they answered).
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    replaces = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("replaces"),
    )

    class Meta:
        ordering = ["clause", "position", "pk"]
        verbose_name = _("audit question")
        verbose_name_plural = _("audit questions")

    def __str__(self):
        return f"{self.clause} {self.text}"


class Audit(models.Model):
    """One internal audit (内部审核) of a department: its plan, checklist, findings and the
    report. Issuing the report seals it: on PostgreSQL the database refuses any change to an
    issued audit and its findings (migration 0008)."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        ISSUED = "issued", _("Report issued")

    programme = models.ForeignKey(
        AuditProgramme, on_delete=models.PROTECT, related_name="audits", verbose_name=_("programme")
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="audits", verbose_name=_("department")
    )
    planned_date = models.DateField(_("date"))
    scope = models.CharField(_("scope"), max_length=300)
    clauses = models.CharField(_("clauses"), max_length=200, help_text=_("e.g. 7.5, 8.5, 10.2"))
    auditors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="audits_led", verbose_name=_("auditors")
    )
    auditees = models.CharField(_("auditees"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    summary = models.TextField(_("summary"), blank=True)
    strengths = models.TextField(_("strong points"), blank=True)
    improvements = models.TextField(_("points to improve"), blank=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["planned_date", "pk"]
        verbose_name = _("internal audit")
        verbose_name_plural = _("internal audits")

    def __str__(self):
        return f"IA-{self.pk} {self.department}"

    @property
    def number(self) -> str:
        return f"IA-{self.programme.year}-{self.pk:03d}" if self.pk else ""

    def clause_list(self) -> list[str]:
        return [c.strip() for c in self.clauses.replace("，", ",").split(",") if c.strip()]


class AuditFinding(models.Model):
    """What an auditor found against one clause: a conformity, an observation, or a minor or
    major nonconformity, with its evidence."""

    class Kind(models.TextChoices):
        CONFORMITY = "conformity", _("Conformity")
        OBSERVATION = "observation", _("Observation")
        MINOR = "minor", _("Minor nonconformity")
        MAJOR = "major", _("Major nonconformity")

    NONCONFORMING = (Kind.MINOR, Kind.MAJOR)

    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="findings")
    clause = models.CharField(_("clause"), max_length=10)
    question = models.ForeignKey(
        AuditQuestion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("finding"), max_length=12, choices=Kind.choices)
    text = models.TextField(_("finding"))
    evidence = models.TextField(_("evidence"), blank=True)
    photo = models.ForeignKey(
        "logistics.Photo",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("photo"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["audit", "clause", "pk"]
        verbose_name = _("audit finding")
        verbose_name_plural = _("audit findings")

    def __str__(self):
        return f"{self.audit_id} {self.clause} {self.kind}"

    @property
    def is_nonconformity(self) -> bool:
        return self.kind in self.NONCONFORMING


class QualityObjective(models.Model):
    """A department's quality objective (质量目标): a measure of the portal's own data (or one
    entered by hand), a target and how often it is reviewed."""

    class Measure(models.TextChoices):
        REPAIRS_ON_TIME = "repairs_on_time", _("Repairs finished within their time limit (%)")
        COMPLAINTS_48H = "complaints_48h", _("Complaints answered within 48 hours (%)")
        SATISFACTION = "satisfaction", _("Satisfaction, mean of the survey stars (1–5)")
        FOOD_SAMPLES = "food_samples", _("Food-safety records kept (%)")
        MANUAL = "manual", _("Entered by hand")

    class Frequency(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Quarterly")
        YEARLY = "yearly", _("Yearly")

    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="objectives",
        verbose_name=_("department"),
    )
    title = models.CharField(_("objective"), max_length=200)
    title_en = models.CharField(_("objective in English"), max_length=200, blank=True)
    measure = models.CharField(_("measure"), max_length=20, choices=Measure.choices)
    target = models.DecimalField(_("target"), max_digits=8, decimal_places=2)
    at_least = models.BooleanField(_("at least the target (otherwise at most)"), default=True)
    unit = models.CharField(_("unit"), max_length=20, default="%")
    frequency = models.CharField(
        _("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner"),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["department__code", "pk"]
        verbose_name = _("quality objective")
        verbose_name_plural = _("quality objectives")

    def __str__(self):
        return self.title


class ObjectiveReview(models.Model):
    """One period's review of an objective, created by the nightly job when the period ends:
    the measured value, met or not, and the owner's comment."""

    objective = models.ForeignKey(
        QualityObjective, on_delete=models.PROTECT, related_name="reviews"
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    measured = models.DecimalField(_("measured"), max_digits=8, decimal_places=2, null=True)
    sample = models.PositiveIntegerField(_("records"), default=0)
    met = models.BooleanField(_("met"), null=True)
    comment = models.TextField(_("owner's comment"), blank=True)
    nonconformity = models.ForeignKey(
        Nonconformity, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["objective", "-period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["objective", "period_start"], name="objectivereview_unique"
            ),
        ]

    def __str__(self):
        return f"{self.objective_id} {self.period_start}"


class ManagementReview(models.Model):
    """A management review meeting (管理评审): its inputs are gathered on its page."""

    date = models.DateField(_("date"))
    period_start = models.DateField(_("inputs from"))
    period_end = models.DateField(_("inputs to"))
    attendees = models.TextField(_("attendees"))
    minutes = models.TextField(_("minutes"), blank=True)
    decisions = models.TextField(_("decisions"), blank=True)
    actions = models.TextField(_("actions"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-date"]
        verbose_name = _("management review")
        verbose_name_plural = _("management reviews")

    def __str__(self):
        return f"{self.date}"


class ManagementReviewAction(models.Model):
    """A decision or action recorded in a management review. One click makes it a
    nonconformity (in the existing flow) or a quality objective; each link is made once and
    shown on both sides."""

    class Kind(models.TextChoices):
        DECISION = "decision", _("Decision")
        ACTION = "action", _("Action")

    review = models.ForeignKey(ManagementReview, on_delete=models.PROTECT, related_name="items")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ACTION)
    text = models.CharField(_("decision or action"), max_length=300)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("department"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    target = models.DecimalField(
        _("target (for an objective)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=20, blank=True, default="%")
    nonconformity = models.OneToOneField(
        Nonconformity,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="review_action",
        verbose_name=_("nonconformity"),
    )
    objective = models.OneToOneField(
        QualityObjective,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="review_action",
        verbose_name=_("quality objective"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["review", "pk"]
        verbose_name = _("management review action")
        verbose_name_plural = _("management review actions")

    def __str__(self):
        return self.text


class TrainingPlanItem(models.Model):
    """One entry of the year's training plan: a topic planned for a department in a month;
    done once a session held for it is linked (TrainingSession.plan_item)."""

    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    topic = models.CharField(_("topic"), max_length=200)
    kind = models.CharField(
        _("kind"),
        max_length=10,
        choices=TrainingSession.Kind.choices,
        default=TrainingSession.Kind.TRAINING,
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="training_plan",
        verbose_name=_("department"),
    )
    audience = models.CharField(_("for whom"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["year", "month", "pk"]
        verbose_name = _("training plan entry")
        verbose_name_plural = _("training plan entries")
        constraints = [
            models.CheckConstraint(
                condition=Q(month__gte=1) & Q(month__lte=12), name="trainingplan_month"
            ),
        ]

    def __str__(self):
        return f"{self.year}-{self.month:02d} {self.topic}"
