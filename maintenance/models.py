"""Repairs (维修): fault categories with the time limits the center promises, repair tickets
from a room or a public area, their timeline, the job ticket (计票: labour, materials, result),
the student's rating, and the storeroom's materials and ledger.

State changes go through maintenance.services (tickets) and maintenance.stores (stock);
nothing here has side effects in save().
"""

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, When
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from logistics.models import BilingualName, Campus


class Category(BilingualName):
    """A kind of fault (报修类别) and the time limits promised for it (限时承诺). A ticket keeps
    the deadlines computed when it was filed: editing a category never moves a past promise."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    response_minutes = models.PositiveIntegerField(
        _("response time (minutes)"),
        help_text=_("A technician starts work within this time of the request."),
    )
    completion_hours = models.PositiveIntegerField(
        _("completion time (hours)"),
        help_text=_("The repair is finished within this time of the request."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive categories take no new requests.")
    )

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("fault category")
        verbose_name_plural = _("fault categories")
        constraints = [
            models.CheckConstraint(
                condition=Q(response_minutes__gt=0) & Q(completion_hours__gt=0),
                name="category_time_limits_positive",
            ),
        ]


class PublicArea(BilingualName):
    """A place that is not a resident's room: a corridor, a washroom, a laundry, a lobby. It has
    its own QR code, like a room."""

    campus = models.ForeignKey(
        Campus, on_delete=models.PROTECT, related_name="public_areas", verbose_name=_("campus")
    )
    building = models.ForeignKey(
        "apartments.Building",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="public_areas",
        verbose_name=_("building"),
        help_text=_("Leave empty for a place outside the residence buildings."),
    )
    code = models.CharField(_("code"), max_length=30)

    class Meta:
        ordering = ["campus", "building", "code"]
        verbose_name = _("public area")
        verbose_name_plural = _("public areas")
        constraints = [
            models.UniqueConstraint(fields=["campus", "code"], name="publicarea_unique_code"),
        ]


class Technician(models.Model):
    """A technician on the dispatchers' roster: the campus they work on and their skills. The
    user also holds the technician role (logistics.RoleGrant), which opens their pages."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="technician",
        verbose_name=_("user"),
    )
    campus = models.ForeignKey(
        Campus, on_delete=models.PROTECT, related_name="technicians", verbose_name=_("campus")
    )
    skills = models.ManyToManyField(
        Category, blank=True, related_name="technicians", verbose_name=_("skills")
    )
    is_active = models.BooleanField(_("on duty"), default=True)

    class Meta:
        ordering = ["campus", "user__username"]
        verbose_name = _("technician")
        verbose_name_plural = _("technicians")

    def __str__(self):
        return self.user.display_name


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")


class Ticket(models.Model):
    """A repair request (报修单) and, once worked, its job ticket (计票)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Waiting for dispatch")
        ASSIGNED = "assigned", _("Assigned")
        IN_PROGRESS = "in_progress", _("Being repaired")
        DONE = "done", _("Repaired, waiting for confirmation")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")
        MERGED = "merged", _("Merged into another request")

    OPEN = (Status.SUBMITTED, Status.ASSIGNED, Status.IN_PROGRESS)
    # Statuses in which the time-limit clock still runs for the center.
    CLOCK_RUNS = OPEN

    campus = models.ForeignKey(
        Campus, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("campus")
    )
    # The building of the room or area (none for an area outside the buildings): kept on the
    # ticket so queues and reports filter and group by it without joins.
    building = models.ForeignKey(
        "apartments.Building",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("building"),
    )
    room = models.ForeignKey(
        "apartments.Room",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("room"),
    )
    area = models.ForeignKey(
        PublicArea,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("public area"),
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("category")
    )
    description = models.TextField(_("description"))
    available_times = models.CharField(_("when you are available"), max_length=200, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="reported_tickets",
        verbose_name=_("reported by"),
    )
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("technician"),
    )
    # Planned work (docs/maintenance.md, "Planned maintenance and room readiness"): a fault
    # found by a readiness campaign, or a job a preventive schedule generated for a due date
    # (one per schedule and date: ticket_one_per_due_date). Neither: a reactive repair.
    campaign = models.ForeignKey(
        "maintenance.Campaign",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("readiness campaign"),
    )
    schedule = models.ForeignKey(
        "maintenance.Schedule",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("preventive schedule"),
    )
    due_on = models.DateField(_("due on"), null=True, blank=True)
    # A meter schedule's job: the meter threshold it was generated for (one per schedule and
    # threshold: ticket_one_per_meter_threshold).
    due_reading = models.DecimalField(
        _("due at reading"), max_digits=12, decimal_places=1, null=True, blank=True
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("merged into"),
    )
    # The promise (限时承诺), computed from the category when the ticket is filed.
    respond_by = models.DateTimeField(_("respond by"))
    complete_by = models.DateTimeField(_("complete by"))
    # The deadline that runs now: respond_by until work starts, complete_by after (complete_by
    # is never earlier: ticket_deadlines_ordered). An open ticket is overdue exactly when it is
    # past; the dispatch queue sorts and pages on it through ticket_queue_idx. Computed by the
    # database on every write, so no service can forget it.
    due_at = models.GeneratedField(
        expression=Case(
            When(started_at__isnull=True, then=F("respond_by")), default=F("complete_by")
        ),
        output_field=models.DateTimeField(),
        db_persist=True,
        verbose_name=_("deadline running now"),
    )

    created_at = models.DateTimeField(_("filed at"), auto_now_add=True, db_index=True)
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    reopened_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)

    # The job ticket (计票): what the technician records when finishing.
    labour_minutes = models.PositiveIntegerField(_("labour (minutes)"), default=0)
    # The points of the repair items done (维修项目计票制), summed over the visits: the sum of
    # the job's TicketItem lines, kept here so that reports add tickets up in one query.
    labour_points = models.DecimalField(
        _("labour (points)"), max_digits=8, decimal_places=1, default=0
    )
    work_note = models.TextField(_("work done"), blank=True)

    # The student's judgement afterwards (事后跟踪).
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.CharField(_("comment"), max_length=500, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    auto_confirmed = models.BooleanField(_("confirmed automatically"), default=False)
    follow_up_needed = models.BooleanField(_("needs follow-up"), default=False)
    follow_up_note = models.TextField(_("follow-up"), blank=True)
    followed_up_at = models.DateTimeField(_("followed up at"), null=True, blank=True)
    followed_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("followed up by"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("repair request")
        verbose_name_plural = _("repair requests")
        constraints = [
            # A ticket is for exactly one place: a room or a public area.
            models.CheckConstraint(
                condition=(Q(room__isnull=False) & Q(area__isnull=True))
                | (Q(room__isnull=True) & Q(area__isnull=False)),
                name="ticket_one_place",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="ticket_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True) | Q(status="merged"),
                name="ticket_merged_status",
            ),
            models.CheckConstraint(
                condition=Q(complete_by__gte=F("respond_by")),
                name="ticket_deadlines_ordered",
            ),
            # A preventive schedule's job for one due date exists once, however often (or
            # however concurrently) the nightly generation runs: it inserts ON CONFLICT DO
            # NOTHING against this.
            # A schedule on a public area (or a single room) has one job per due date; a
            # schedule for an asset type one per due date and room holding that type; a meter
            # schedule one per threshold of its meter.
            models.UniqueConstraint(
                fields=["schedule", "due_on"],
                condition=Q(schedule__isnull=False, room__isnull=True, due_reading__isnull=True),
                name="ticket_one_per_due_date",
            ),
            models.UniqueConstraint(
                fields=["schedule", "due_on", "room"],
                condition=Q(schedule__isnull=False, room__isnull=False, due_reading__isnull=True),
                name="ticket_one_per_room_due_date",
            ),
            models.UniqueConstraint(
                fields=["schedule", "due_reading"],
                condition=Q(schedule__isnull=False, due_reading__isnull=False),
                name="ticket_one_per_meter_threshold",
            ),
            models.CheckConstraint(
                condition=Q(schedule__isnull=True) | Q(due_on__isnull=False),
                name="ticket_schedule_has_due_date",
            ),
        ]
        indexes = [
            models.Index(fields=["campus", "status"], name="ticket_campus_status_idx"),
            models.Index(fields=["technician", "status"], name="ticket_technician_idx"),
            models.Index(fields=["room", "status"], name="ticket_room_idx"),
            models.Index(fields=["reporter", "-created_at"], name="ticket_reporter_idx"),
            # The dispatch queue (maintenance.dispatching.queue): open tickets of a campus, per
            # urgency, in the order of their running deadline; each slice of the queue (overdue
            # or not, urgent or not) is one range of this index, read only as far as the page.
            models.Index(
                fields=["campus", "urgency", "due_at", "id"],
                condition=Q(status__in=["submitted", "assigned", "in_progress"]),
                name="ticket_queue_idx",
            ),
            # The same for those who dispatch every campus (administrators, a head of all).
            models.Index(
                fields=["urgency", "due_at", "id"],
                condition=Q(status__in=["submitted", "assigned", "in_progress"]),
                name="ticket_queue_all_idx",
            ),
            # The readiness board's "blocked": open tickets of a campaign's rooms.
            models.Index(
                fields=["campaign", "room"],
                condition=Q(campaign__isnull=False),
                name="ticket_campaign_idx",
            ),
            models.Index(
                fields=["follow_up_needed"],
                condition=Q(follow_up_needed=True),
                name="ticket_follow_up_idx",
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def number(self) -> str:
        return f"#{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def is_planned(self) -> bool:
        """Planned work (a campaign's or a schedule's) rather than a reactive repair."""
        return self.campaign_id is not None or self.schedule_id is not None

    @property
    def place(self):
        return self.room if self.room_id else self.area

    @property
    def on_time(self) -> bool | None:
        """Finished within the promised time; None while not finished."""
        if self.finished_at is None:
            return None
        return self.finished_at <= self.complete_by


class TicketPhoto(models.Model):
    """A photo of the fault (from the reporter) or of the result (from the technician)."""

    class Kind(models.TextChoices):
        FAULT = "fault", _("Fault")
        RESULT = "result", _("Result")

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="photos", verbose_name=_("repair request")
    )
    photo = models.OneToOneField(
        "logistics.Photo", on_delete=models.PROTECT, related_name="+", verbose_name=_("photo")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)

    class Meta:
        ordering = ["id"]
        verbose_name = _("repair photo")
        verbose_name_plural = _("repair photos")

    def __str__(self):
        return f"{self.ticket_id} {self.kind} {self.photo_id}"


class TicketEvent(models.Model):
    """One step of a ticket's timeline, shown to everyone who may see the ticket."""

    class Kind(models.TextChoices):
        FILED = "filed", _("Filed")
        ASSIGNED = "assigned", _("Assigned")
        REASSIGNED = "reassigned", _("Reassigned")
        STARTED = "started", _("Work started")
        FINISHED = "finished", _("Repair finished")
        CONFIRMED = "confirmed", _("Confirmed by the reporter")
        AUTO_CONFIRMED = "auto_confirmed", _("Confirmed automatically")
        REOPENED = "reopened", _("Reopened: not fixed")
        RATED = "rated", _("Rated")
        MERGED = "merged", _("Merged")
        CANCELLED = "cancelled", _("Cancelled")
        URGENCY = "urgency", _("Urgency changed")
        FOLLOWED_UP = "followed_up", _("Followed up")

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="events", verbose_name=_("repair request")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("repair request event")
        verbose_name_plural = _("repair request events")

    def __str__(self):
        return f"{self.ticket_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


# --- The storeroom: materials and their ledger ---------------------------------------------


class Material(BilingualName):
    """A material or spare part the center keeps (a tap washer, 2.5 mm² cable, a lock core)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    unit = models.CharField(_("unit"), max_length=20)
    unit_en = models.CharField(_("unit in English"), max_length=20, blank=True)
    unit_cost = models.DecimalField(_("unit cost"), max_digits=10, decimal_places=2)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        constraints = [
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="material_cost_not_negative")
        ]


class Stock(models.Model):
    """One material in one storeroom. `balance` is the sum of the stock's movements, kept in
    the same transaction as each movement (maintenance.stores) and never negative (checked by
    the database, so two technicians drawing the last unit at once cannot both have it)."""

    storeroom = models.ForeignKey(
        "apartments.Storeroom",
        on_delete=models.PROTECT,
        related_name="stocks",
        verbose_name=_("storeroom"),
    )
    material = models.ForeignKey(
        Material, on_delete=models.PROTECT, related_name="stocks", verbose_name=_("material")
    )
    balance = models.DecimalField(_("balance"), max_digits=12, decimal_places=2, default=0)
    low_at = models.DecimalField(
        _("low-stock level"),
        max_digits=12,
        decimal_places=2,
        default=0,
        help_text=_("A warning shows when the balance is at or below this level."),
    )

    class Meta:
        ordering = ["storeroom", "material__code"]
        verbose_name = _("stock")
        verbose_name_plural = _("stocks")
        constraints = [
            models.UniqueConstraint(fields=["storeroom", "material"], name="stock_unique"),
            models.CheckConstraint(condition=Q(balance__gte=0), name="stock_not_negative"),
            models.CheckConstraint(condition=Q(low_at__gte=0), name="stock_low_not_negative"),
        ]

    def __str__(self):
        return f"{self.material} @ {self.storeroom}"

    @property
    def is_low(self) -> bool:
        return self.balance <= self.low_at


class StockMovement(models.Model):
    """One line of the storeroom ledger (材料来去一目了然). `quantity` is signed from the
    storeroom's side: receipts, returns and recovered parts are positive, issues negative,
    adjustments either. Movements are never edited or deleted; a mistake is corrected by an
    adjustment with a reason."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Receipt")
        ISSUE = "issue", _("Issued to a job")
        RETURN = "return", _("Returned unused")
        RECOVERY = "recovery", _("Recovered for reuse")
        ADJUSTMENT = "adjustment", _("Adjustment")

    stock = models.ForeignKey(
        Stock, on_delete=models.PROTECT, related_name="movements", verbose_name=_("stock")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    # The unit cost when the movement was made: later price changes leave past costs alone.
    unit_cost = models.DecimalField(_("unit cost"), max_digits=10, decimal_places=2)
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="movements",
        verbose_name=_("repair request"),
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="movement_not_zero"),
            models.CheckConstraint(
                condition=(Q(kind="issue") & Q(quantity__lt=0))
                | (Q(kind__in=["receipt", "return", "recovery"]) & Q(quantity__gt=0))
                | Q(kind="adjustment"),
                name="movement_sign_by_kind",
            ),
            models.CheckConstraint(
                condition=~Q(kind="adjustment") | ~Q(reason=""),
                name="movement_adjustment_reason",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["issue", "return"]) | Q(ticket__isnull=False),
                name="movement_job_has_ticket",
            ),
        ]
        indexes = [
            models.Index(fields=["stock", "-at"], name="movement_stock_idx"),
            models.Index(fields=["ticket"], name="movement_ticket_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.quantity} {self.stock}"

    @property
    def value(self):
        return self.quantity * self.unit_cost


# --- Planned maintenance and room readiness ------------------------------------------------


class Campaign(models.Model):
    """A batch of room work before a date (整修保洁, the holiday readiness campaign): the
    buildings it covers, the checklist every room goes through, and the move-in date the
    readiness board forecasts against. Starting it creates a RoomTask per room and marks those
    rooms not ready (maintenance.readiness)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Under way")
        CLOSED = "closed", _("Closed")

    campus = models.ForeignKey(
        Campus, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("campus")
    )
    name = models.CharField(_("name"), max_length=100)
    buildings = models.ManyToManyField(
        "apartments.Building", related_name="campaigns", verbose_name=_("buildings")
    )
    # The room checklist: a list of short texts, in the words of the manager who wrote it.
    checklist = models.JSONField(_("checklist"), default=list)
    move_in_date = models.DateField(_("move-in date"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("readiness campaign")
        verbose_name_plural = _("readiness campaigns")

    def __str__(self):
        return self.name


class RoomTask(models.Model):
    """One room's checklist in a campaign. `done_items` holds the indexes of the checklist
    items ticked; the task is done when every item is. The room is ready when its task is done
    and it has no open repair (maintenance.readiness.state)."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("Not started")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Checklist done")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("campaign")
    )
    room = models.ForeignKey(
        "apartments.Room",
        on_delete=models.CASCADE,
        related_name="campaign_tasks",
        verbose_name=_("room"),
    )
    # The room's building, kept here so the board groups without joining rooms.
    building = models.ForeignKey(
        "apartments.Building",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("building"),
    )
    done_items = models.JSONField(_("items done"), default=list)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NOT_STARTED
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last worked by"),
    )
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        ordering = ["campaign", "building", "room"]
        verbose_name = _("room task")
        verbose_name_plural = _("room tasks")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "room"], name="roomtask_unique_room"),
        ]
        indexes = [
            models.Index(fields=["campaign", "building", "status"], name="roomtask_board_idx"),
            # The pace of the forecast: tasks done per day.
            models.Index(fields=["campaign", "done_at"], name="roomtask_done_idx"),
        ]

    def __str__(self):
        return f"{self.campaign_id}:{self.room_id}"


class Schedule(models.Model):
    """A preventive maintenance schedule (计划维护): a task list for one place — a room, or a
    public area standing for a building system (a pump room, a lift, a roof) — and when it
    recurs. The nightly job (maintenance.preventive) files a ticket for each due date, with the
    schedule's category and owner as its reporter, and moves `next_due` on."""

    class Unit(models.TextChoices):
        DAYS = "days", _("Every N days")
        WEEKS = "weeks", _("Every N weeks")
        MONTHS = "months", _("Every N months")
        FIXED = "fixed", _("On fixed dates each year")
        METER = "meter", _("Every N units of a meter")

    campus = models.ForeignKey(
        Campus, on_delete=models.PROTECT, related_name="schedules", verbose_name=_("campus")
    )
    name = models.CharField(_("name"), max_length=100)
    asset_type = models.ForeignKey(
        "apartments.AssetType",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="schedules",
        verbose_name=_("asset type"),
    )
    building = models.ForeignKey(
        "apartments.Building",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="schedules",
        verbose_name=_("building"),
    )
    room = models.ForeignKey(
        "apartments.Room",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="schedules",
        verbose_name=_("room"),
    )
    area = models.ForeignKey(
        PublicArea,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="schedules",
        verbose_name=_("public area"),
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="schedules", verbose_name=_("category")
    )
    tasks = models.TextField(_("task list"), help_text=_("One task a line."))
    unit = models.CharField(_("recurrence"), max_length=10, choices=Unit.choices)
    every = models.PositiveIntegerField(_("every"), default=1)
    # For Unit.FIXED: ["07-15", "12-20"] (month-day, every year).
    fixed_dates = models.JSONField(_("fixed dates"), default=list, blank=True)
    next_due = models.DateField(_("next due"))
    # For Unit.METER: the meter, and the reading at which the next job falls due (moved on by
    # `every` units past the reading each time a job is generated).
    meter = models.ForeignKey(
        "maintenance.Meter",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="schedules",
        verbose_name=_("meter"),
    )
    next_reading = models.DecimalField(
        _("next due at reading"), max_digits=12, decimal_places=1, null=True, blank=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner"),
        help_text=_("Files the generated jobs (their reporter) and confirms them."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["campus", "name"]
        verbose_name = _("preventive schedule")
        verbose_name_plural = _("preventive schedules")
        constraints = [
            # One room, one public area, or (for an asset type) every room of its building
            # or campus holding that type.
            models.CheckConstraint(
                condition=(Q(room__isnull=False) & Q(area__isnull=True))
                | (Q(room__isnull=True) & Q(area__isnull=False))
                | (Q(room__isnull=True) & Q(area__isnull=True) & Q(asset_type__isnull=False)),
                name="schedule_one_place",
            ),
            models.CheckConstraint(condition=Q(every__gte=1), name="schedule_every_positive"),
            models.CheckConstraint(
                condition=(Q(unit="meter") & Q(meter__isnull=False) & Q(next_reading__isnull=False))
                | (~Q(unit="meter") & Q(meter__isnull=True) & Q(next_reading__isnull=True)),
                name="schedule_meter_when_metered",
            ),
        ]
        indexes = [
            # The nightly generation: active schedules due by the run's date.
            models.Index(
                fields=["next_due", "id"],
                condition=Q(is_active=True),
                name="schedule_due_idx",
            ),
            models.Index(
                fields=["meter", "next_reading"],
                condition=Q(is_active=True, unit="meter"),
                name="schedule_meter_due_idx",
            ),
        ]

    def __str__(self):
        return self.name


class Meter(models.Model):
    """A counter on a piece of equipment (a lift's running hours, a water heater's cycles),
    read by staff (MeterReading). `reading` and `read_at` are its latest reading, kept in the
    reading's transaction (maintenance.meters) so the nightly job compares schedules against it
    without reading the history. Meter schedules (Schedule.Unit.METER) fall due when it passes
    their next threshold."""

    class Unit(models.TextChoices):
        HOURS = "hours", _("running hours")
        CYCLES = "cycles", _("cycles")
        UNITS = "units", pgettext_lazy("meter unit", "units")

    campus = models.ForeignKey(
        Campus, on_delete=models.PROTECT, related_name="meters", verbose_name=_("campus")
    )
    name = models.CharField(_("name"), max_length=100)
    building = models.ForeignKey(
        "apartments.Building",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("building"),
    )
    room = models.ForeignKey(
        "apartments.Room",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("room"),
    )
    area = models.ForeignKey(
        PublicArea,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meters",
        verbose_name=_("public area"),
    )
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)
    max_per_day = models.DecimalField(
        _("most in a day"),
        max_digits=10,
        decimal_places=1,
        help_text=_(
            "The most the meter can advance in a day (24 for running hours): a reading beyond "
            "it is refused as a typing error."
        ),
    )
    reading = models.DecimalField(_("latest reading"), max_digits=12, decimal_places=1, default=0)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["campus", "name"]
        verbose_name = _("meter")
        verbose_name_plural = _("meters")
        constraints = [
            models.CheckConstraint(
                condition=(Q(room__isnull=False) & Q(area__isnull=True))
                | (Q(room__isnull=True) & Q(area__isnull=False)),
                name="meter_one_place",
            ),
            models.CheckConstraint(condition=Q(max_per_day__gt=0), name="meter_max_positive"),
            models.CheckConstraint(condition=Q(reading__gte=0), name="meter_reading_positive"),
        ]

    def __str__(self):
        return self.name

    @property
    def place(self):
        return self.room if self.room_id else self.area


class MeterReading(models.Model):
    """One reading of a meter, as staff recorded it. Never edited: each is at least the one
    before it (maintenance.meters.reading_record)."""

    meter = models.ForeignKey(
        Meter, on_delete=models.CASCADE, related_name="readings", verbose_name=_("meter")
    )
    value = models.DecimalField(_("reading"), max_digits=12, decimal_places=1)
    note = models.CharField(_("note"), max_length=200, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("meter reading")
        verbose_name_plural = _("meter readings")
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="meterreading_not_negative"),
        ]
        indexes = [models.Index(fields=["meter", "-at"], name="meterreading_meter_idx")]

    def __str__(self):
        return f"{self.meter_id} {self.value}"


class RepairItem(BilingualName):
    """One line of the center's points table (维修项目计票表): a unit of repair work and the
    points it counts, e.g. a tap washer replaced 1, a tap 3, a lock cylinder 4. The job ticket
    records the items done; a technician's labour is counted in points, and in yuan at the
    labour rate (settings.REPAIR_YUAN_PER_POINT). A job's lines keep the points they were
    counted at: editing the table never changes a past job."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="repair_items",
        verbose_name=_("fault category"),
        help_text=_("Offered first on the jobs of this category; empty for any job."),
    )
    points = models.DecimalField(_("points"), max_digits=5, decimal_places=1)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive items are not offered on new jobs.")
    )

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("repair item")
        verbose_name_plural = _("repair items (points table)")
        constraints = [
            models.CheckConstraint(condition=Q(points__gt=0), name="repair_item_points_positive")
        ]


class TicketItem(models.Model):
    """A repair item done on a job (a line of the job ticket), with the points it counted."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.PROTECT, related_name="items", verbose_name=_("repair request")
    )
    item = models.ForeignKey(
        RepairItem, on_delete=models.PROTECT, related_name="+", verbose_name=_("repair item")
    )
    quantity = models.PositiveSmallIntegerField(_("quantity"))
    # Points of one unit when it was recorded (the table may change later).
    points = models.DecimalField(_("points each"), max_digits=5, decimal_places=1)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["ticket", "id"]
        verbose_name = _("job item")
        verbose_name_plural = _("job items")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="ticket_item_quantity_positive"
            )
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.item_id} ×{self.quantity}"

    @property
    def total_points(self):
        return self.points * self.quantity
