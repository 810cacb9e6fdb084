"""The dining manager sets up their canteens in the portal (not only in the admin): the canteen
itself (names, windows, opening hours, in use), its food workers (who stand the morning check),
its fridges and freezers (whose temperatures are kept), and the canteen staff who work it.
Each change is checked against the manager's campuses and written to the audit trail."""

from __future__ import annotations

import re

from django import forms
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from dining.access import managed_canteens
from dining.models import Canteen, CanteenAssignment, FoodWorker, Fridge
from logistics.access import ALL, campus_scope, has_role, roles_of
from logistics.errors import ServiceError
from logistics.models import Campus, Role, User
from logistics.services import audit_record

HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


class SetupError(ServiceError):
    status_code = 400


def manager_campuses(user):
    """The campuses on which `user` may set up canteens."""
    if Role.ADMIN in roles_of(user):
        return Campus.objects.all()
    scope = campus_scope(user, Role.DINING_MANAGER)
    return Campus.objects.all() if scope is ALL else Campus.objects.filter(pk__in=scope)


def clean_hours(value: str) -> str:
    value = (value or "").strip().replace("–", "-").replace("—", "-").replace(" ", "")
    if not value:
        return ""
    match = HOURS.match(value)
    if match is None or match.group(1, 2) >= match.group(3, 4):
        raise forms.ValidationError(
            _("Write the hours as 11:00-13:00, the opening before the closing.")
        )
    return value


class CanteenForm(forms.ModelForm):
    class Meta:
        model = Canteen
        fields = [
            "campus",
            "name",
            "name_en",
            "windows",
            "breakfast_hours",
            "lunch_hours",
            "dinner_hours",
            "active",
        ]
        widgets = {"windows": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"breakfast_hours": gettext_lazy("For example 06:30-09:00.")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campus"].queryset = manager_campuses(user)

    def clean_name(self):
        name = (self.cleaned_data.get("name") or "").strip()
        taken = Canteen.objects.filter(name=name).exclude(pk=self.instance.pk).exists()
        if taken:
            raise forms.ValidationError(_("A canteen of that name exists already."))
        return name

    def validate_unique(self):
        """The name's uniqueness is checked by clean_name, with a message that says so."""

    def clean_breakfast_hours(self):
        return clean_hours(self.cleaned_data.get("breakfast_hours"))

    def clean_lunch_hours(self):
        return clean_hours(self.cleaned_data.get("lunch_hours"))

    def clean_dinner_hours(self):
        return clean_hours(self.cleaned_data.get("dinner_hours"))


class WorkerForm(forms.ModelForm):
    class Meta:
        model = FoodWorker
        fields = ["name", "job", "health_certificate_expires"]
        widgets = {"health_certificate_expires": forms.DateInput(attrs={"type": "date"})}
        labels = {"name": pgettext_lazy("person", "name")}


class FridgeForm(forms.ModelForm):
    class Meta:
        model = Fridge
        fields = ["name", "kind"]


class StaffForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("Username"), max_length=150)


@transaction.atomic
def canteen_save(*, actor: User, form: CanteenForm) -> Canteen:
    creating = form.instance.pk is None
    if not creating and not managed_canteens(actor).filter(pk=form.instance.pk).exists():
        raise SetupError(_("You do not manage this canteen."))
    try:
        with transaction.atomic():
            canteen = form.save()
    except IntegrityError:
        raise SetupError(_("A canteen of that name exists already."), field="name") from None
    audit_record(
        actor=actor,
        action="dining.canteen_create" if creating else "dining.canteen_change",
        target=canteen,
        changes={name: str(form.cleaned_data.get(name)) for name in form.changed_data},
    )
    return canteen


@transaction.atomic
def worker_add(*, actor: User, canteen: Canteen, form: WorkerForm) -> FoodWorker:
    worker = form.save(commit=False)
    worker.canteen = canteen
    worker.save()
    audit_record(actor=actor, action="dining.worker_add", target=worker)
    return worker


@transaction.atomic
def worker_roster(*, actor: User, worker: FoodWorker, on_roster: bool) -> FoodWorker:
    if worker.on_roster != on_roster:
        worker.on_roster = on_roster
        worker.save(update_fields=["on_roster"])
        audit_record(
            actor=actor, action="dining.worker_roster", target=worker, changes={"on": on_roster}
        )
    return worker


@transaction.atomic
def fridge_add(*, actor: User, canteen: Canteen, form: FridgeForm) -> Fridge:
    fridge = form.save(commit=False)
    fridge.canteen = canteen
    fridge.save()
    audit_record(actor=actor, action="dining.fridge_add", target=fridge)
    return fridge


@transaction.atomic
def fridge_in_use(*, actor: User, fridge: Fridge, active: bool) -> Fridge:
    if fridge.active != active:
        fridge.active = active
        fridge.save(update_fields=["active"])
        audit_record(
            actor=actor, action="dining.fridge_in_use", target=fridge, changes={"on": active}
        )
    return fridge


@transaction.atomic
def staff_add(*, actor: User, canteen: Canteen, username: str) -> CanteenAssignment:
    """Assign a member of canteen staff (a user holding the canteen_staff role) to work here."""
    user = User.objects.filter(username=username.strip(), is_active=True).first()
    if user is None or not has_role(user, Role.CANTEEN_STAFF):
        raise SetupError(
            _("No active user of that name holds the canteen staff role."), field="username"
        )
    assignment, created = CanteenAssignment.objects.get_or_create(canteen=canteen, user=user)
    if not created:
        raise SetupError(_("They work in this canteen already."), field="username")
    audit_record(
        actor=actor, action="dining.staff_add", target=canteen, changes={"user": user.username}
    )
    return assignment


@transaction.atomic
def staff_remove(*, actor: User, assignment: CanteenAssignment) -> None:
    canteen, username = assignment.canteen, assignment.user.username
    assignment.delete()
    audit_record(
        actor=actor, action="dining.staff_remove", target=canteen, changes={"user": username}
    )
