"""The shared kernel: people, places and departments every service app refers to, plus the
records that cut across them (roles, the audit trail, background job runs)."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class BilingualName(models.Model):
    """Data names come in Chinese (the working language) and, optionally, in English."""

    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name in English"), max_length=100, blank=True)

    class Meta:
        abstract = True

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        language = get_language() or ""
        if language.startswith("en") and self.name_en:
            return self.name_en
        return self.name


class User(AbstractUser):
    """A portal account. Residents log in with their student id, staff with their work id."""

    # One field: Chinese names do not split into first and last the way AbstractUser assumes.
    full_name = models.CharField(_("full name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.username


class Campus(BilingualName):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    # Reports list campuses in the university's own order (the main campus first).
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("campus")
        verbose_name_plural = _("campuses")


class ServiceArea(BilingualName):
    """An area the ISO 9001 service standards cover (dining, apartments, …). Reference data
    created by a data migration."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("service area")
        verbose_name_plural = _("service areas")


class Department(BilingualName):
    """A service department of the logistics group (公寓中心, 维修中心, 饮食中心, …)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    service_areas = models.ManyToManyField(
        ServiceArea, blank=True, related_name="departments", verbose_name=_("service areas")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")


class Role(models.TextChoices):
    STUDENT = "student", _("Student / resident")
    DORM_MANAGER = "dorm_manager", _("Dorm manager")
    SHIFT_LEAD = "shift_lead", _("Shift lead")
    TECHNICIAN = "technician", _("Technician")
    DISPATCHER = "dispatcher", _("Repair dispatcher")
    DINING_MANAGER = "dining_manager", _("Dining manager")
    CANTEEN_STAFF = "canteen_staff", _("Canteen staff")
    AUDITOR = "auditor", _("Quality auditor")
    DEPARTMENT_HEAD = "department_head", _("Department head")
    ADMIN = "admin", _("Administrator")


class RoleGrant(models.Model):
    """One role held by one user, optionally limited to a campus and/or a department.

    The building scope of dorm managers and shift leads lives with the buildings
    (apartments.BuildingAssignment); the checks that combine them are in logistics.access.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="role_grants",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    campus = models.ForeignKey(
        Campus,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="role_grants",
        verbose_name=_("campus"),
        help_text=_("Leave empty for every campus."),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="role_grants",
        verbose_name=_("department"),
        help_text=_("Leave empty for every department."),
    )
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "campus", "department"],
                name="rolegrant_unique_scope",
                nulls_distinct=False,
            ),
        ]

    def __str__(self):
        scope = " / ".join(str(s) for s in (self.campus, self.department) if s)
        return f"{self.get_role_display()}" + (f" ({scope})" if scope else "")


class AuditEvent(models.Model):
    """Who changed what, and when. Written by services through audit_record(); never edited."""

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    action = models.CharField(_("action"), max_length=60)
    target_type = models.ForeignKey(
        ContentType, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    target_repr = models.CharField(_("target"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            # The history of one object, newest first (admin and object history pages).
            models.Index(fields=["target_type", "target_id", "-at"], name="audit_target_idx"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.target_repr}"


class JobRun(models.Model):
    """One attempt at one nightly job for one date: who started it, how far it got, how it
    ended. The engine (logistics.nightly) creates it under the job's lock for that date."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        PARTIAL = "partial", _("Succeeded with failures")
        FAILED = "failed", _("Failed")
        ABANDONED = "abandoned", _("Abandoned")

    # Statuses after which the date still needs doing: the engine retries these (bounded).
    UNFINISHED = (Status.PARTIAL, Status.FAILED, Status.ABANDONED)

    job = models.CharField(_("job"), max_length=80)
    for_date = models.DateField(_("for date"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=1)
    trigger = models.CharField(_("started by"), max_length=40, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by user"),
    )
    # host:pid of the process doing the work, for the operator looking at a stuck run.
    worker = models.CharField(_("worker"), max_length=120, blank=True)
    started_at = models.DateTimeField(_("started at"))
    # Written after every committed batch: a run whose heartbeat stops is abandoned.
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    items = models.PositiveIntegerField(_("items"), default=0)
    failures = models.PositiveIntegerField(_("failed items"), default=0)
    error = models.TextField(_("error"), blank=True)
    # When the watchdog last sent a retry of this unfinished run's date: not again while that
    # retry may still be queued.
    retry_sent_at = models.DateTimeField(_("retry sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        constraints = [
            # A job succeeds at most once per date: the second nightly run changes nothing.
            models.UniqueConstraint(
                fields=["job", "for_date"],
                condition=Q(status="succeeded"),
                name="jobrun_one_success_per_date",
            ),
            # And runs at most once at a time per date, whatever started it.
            models.UniqueConstraint(
                fields=["job", "for_date"],
                condition=Q(status="running"),
                name="jobrun_one_running_per_date",
            ),
        ]
        indexes = [
            # The runs of a job for a date (the engine's checks, the job page's rows).
            models.Index(fields=["job", "for_date"], name="jobrun_job_date_idx"),
            # The watchdog's look at what is still running.
            models.Index(
                fields=["heartbeat_at"],
                condition=Q(status="running"),
                name="jobrun_running_idx",
            ),
        ]

    def __str__(self):
        return f"{self.job} {self.for_date} {self.get_status_display()}"

    @property
    def duration(self):
        return self.finished_at - self.started_at if self.finished_at else None


class JobItemFailure(models.Model):
    """One item a job run could not handle: skipped, with its error, so the rest went on."""

    run = models.ForeignKey(
        JobRun, on_delete=models.CASCADE, related_name="item_failures", verbose_name=_("run")
    )
    item = models.CharField(_("item"), max_length=200)
    error = models.TextField(_("error"))

    class Meta:
        ordering = ["run", "id"]
        verbose_name = _("failed item")
        verbose_name_plural = _("failed items")

    def __str__(self):
        return f"{self.run}: {self.item}"


class Alert(models.Model):
    """Something someone must act on, raised by a job or a service of any app: a building
    without its zero report, a canteen meal without samples, a nightly job that gave up.

    One condition (`key`) has at most one open alert, however often the job that finds it
    runs; resolving it closes it for everyone. Who must act is a role, limited by the alert's
    campus and department and, for roles scoped to places (a dorm manager's buildings), by its
    subject (logistics.alerts)."""

    class Severity(models.TextChoices):
        INFO = "info", _("Information")
        WARNING = "warning", _("Warning")
        CRITICAL = "critical", _("Critical")

    kind = models.CharField(_("kind"), max_length=60)
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.WARNING
    )
    key = models.CharField(_("condition"), max_length=200)
    for_date = models.DateField(_("date"), null=True, blank=True)
    role = models.CharField(_("who must act"), max_length=30, choices=Role.choices)
    campus = models.ForeignKey(
        Campus,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("campus"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("department"),
    )
    # What the alert is about (a building, a canteen, …): any app's model, by reference, so
    # the kernel depends on no app.
    subject_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    subject_id = models.PositiveBigIntegerField(_("subject id"), null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    params = models.JSONField(_("details"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("raised at"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last found at"), default=timezone.now)
    times_seen = models.PositiveIntegerField(_("times found"), default=1)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    # Empty, with nobody in resolved_by, when the system closed it: the condition cleared.
    resolution_note = models.TextField(_("resolution"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                condition=Q(resolved_at__isnull=True),
                name="alert_one_open_per_condition",
            ),
        ]
        indexes = [
            # The open alerts, newest first (the alerts page and API, the bell's panel).
            models.Index(
                fields=["-created_at"],
                condition=Q(resolved_at__isnull=True),
                name="alert_open_idx",
            ),
            models.Index(fields=["kind", "for_date"], name="alert_kind_date_idx"),
            models.Index(fields=["subject_type", "subject_id"], name="alert_subject_idx"),
        ]

    def __str__(self):
        return f"{self.kind} {self.key}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class Photo(models.Model):
    """An uploaded image, checked by content and re-encoded (logistics.uploads): never the
    bytes the user sent. Who may see it is decided by the record that refers to it."""

    image = models.ImageField(_("image"), upload_to="photos/%Y/%m/")
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self):
        return f"{self.image.name} ({self.width}×{self.height})"


class Notification(models.Model):
    """A message to one user about something that happened to their business (a repair
    assigned, a complaint answered). Its text is rendered when read, in the reader's language,
    from `kind` (a registered message, logistics.notifications) and `params`."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=60)
    params = models.JSONField(_("details"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    # The e-mail outbox (logistics.outbox): when the next attempt to e-mail this notification
    # is due; empty when there is nothing (more) to send. A sender claims a row by moving this
    # a few minutes ahead, so a sender that dies leaves it to the next one.
    email_due_at = models.DateTimeField(_("e-mail due at"), null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(_("e-mail attempts"), default=0)
    email_error = models.TextField(_("e-mail error"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # A user's notifications, newest first, and their unread count.
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient_idx"),
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
            # The outbox: what is due to be e-mailed.
            models.Index(
                fields=["email_due_at"],
                condition=Q(email_due_at__isnull=False),
                name="notification_email_due_idx",
            ),
        ]

    def __str__(self):
        return f"{self.recipient} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"


class SignInGuard(models.Model):
    """The per-account sign-in limit (logistics.signin): one username's recent failed sign-ins
    from any address, and the lock they led to. Kept in the database so that it holds in
    every process, with or without Redis. A row untouched for longer than the window and the
    cool-off says nothing any more and is purged."""

    username = models.CharField(_("username"), max_length=150, unique=True)
    # [[ISO time, address], …], oldest first: the failures within the window, at most the limit.
    failures = models.JSONField(_("recent failed sign-ins"), default=list, blank=True)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("sign-in guard")
        verbose_name_plural = _("sign-in guards")
        # logistics.signin purges the rows untouched for a while.
        indexes = [models.Index(fields=["updated_at"], name="signinguard_updated_idx")]

    def __str__(self):
        return self.username

    def is_locked(self, now) -> bool:
        return self.locked_until is not None and self.locked_until > now
