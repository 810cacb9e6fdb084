"""Placeholder: the helper building this module replaces it."""

from django.http import Http404


def report(request, *args, **kwargs):
    raise Http404


def report_export(request, *args, **kwargs):
    raise Http404
