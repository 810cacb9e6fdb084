from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from logistics import health
from logistics.access import grants_of
from logistics.api.errors import json_not_found, json_server_error
from logistics.forms import LoginForm, PortalPasswordChangeForm
from logistics.hall import entries_for, panels_for
from logistics.models import Campus, Department, Role
from logistics.services import audit_record


@login_required
def home(request):
    """The one-stop service hall: the user's entries and what they are responsible for."""
    return render(
        request,
        "logistics/home.html",
        {
            "panels": panels_for(request.user),
            "entries": entries_for(request.user),
            "scopes": _scopes(request.user),
        },
    )


@login_required
def account(request):
    return render(request, "logistics/account.html", {"scopes": _scopes(request.user)})


def _scopes(user):
    grants = grants_of(user)
    campus_ids = {g.campus_id for g in grants if g.campus_id}
    department_ids = {g.department_id for g in grants if g.department_id}
    campuses = {c.pk: c for c in Campus.objects.filter(pk__in=campus_ids)} if campus_ids else {}
    departments = (
        {d.pk: d for d in Department.objects.filter(pk__in=department_ids)}
        if department_ids
        else {}
    )
    return [
        {
            "role": Role(g.role).label,
            "campus": campuses.get(g.campus_id),
            "department": departments.get(g.department_id),
        }
        for g in grants
    ]


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = PortalPasswordChangeForm
    success_url = reverse_lazy("account")

    def form_valid(self, form):
        response = super().form_valid(form)
        audit_record(actor=self.request.user, action="account.password_change", target=form.user)
        messages.success(self.request, _("Your password has been changed."))
        return response


@require_GET
@never_cache
def healthz(request):
    """For the load balancer (docs/operations.md): 200 while the portal can serve, "ok" or
    "degraded" (Redis, as cache or broker, unreachable: pages work, e-mails and jobs wait);
    503 "down" when its database is unreachable."""
    status, checks = health.report()
    return JsonResponse(
        {"status": status, "checks": checks}, status=503 if status == "down" else 200
    )


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return json_not_found(request)
    return render(request, "404.html", status=404)


def server_error(request):
    if request.path.startswith("/api/"):
        return json_server_error(request)
    return render(request, "500.html", status=500)
