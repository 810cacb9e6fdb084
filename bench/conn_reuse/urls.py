"""The bare-Django ceiling: /insert does exactly one INSERT and answers 200, /ok answers "ok"
and touches nothing. bench/conn_reuse/run.sh measures /insert; bench/campus/run.py measures
both beside the portal, as the ceiling its figures are divided by.

Bench-only: this URLconf is used by bench/conn_reuse/settings.py and is never mounted in the
portal. That is why a GET may write here (wrk sends GETs) and why CSRF does not apply; every
portal view that changes state takes a POST.
"""

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from logistics.models import AuditEvent


@csrf_exempt
def insert(request):
    # One INSERT, no reads: what the bench measures is the connection, not the query.
    AuditEvent.objects.create(action="bench.insert")
    return HttpResponse("ok\n", content_type="text/plain")


def ok(request):
    return HttpResponse("ok\n", content_type="text/plain")


urlpatterns = [path("insert", insert), path("ok", ok)]
