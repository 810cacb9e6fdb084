"""Placeholder: the helper building this module replaces it."""

from django.http import Http404


def dashboard(request, *args, **kwargs):
    raise Http404


def dashboard_export(request, *args, **kwargs):
    raise Http404
