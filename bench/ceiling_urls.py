"""The ceiling of bench/lists.py: one view that answers "ok", served through the portal's own
settings and middleware by the same test client, in the same process and the same minute as
the lists it is compared with."""

from django.http import HttpResponse
from django.urls import path


def ok(request):
    return HttpResponse("ok")


urlpatterns = [path("ok", ok)]
