"""Placeholder: the helper building this module replaces it."""

from django.http import Http404


def queue(request, *args, **kwargs):
    raise Http404


def dispatch_ticket(request, *args, **kwargs):
    raise Http404


def assign(request, *args, **kwargs):
    raise Http404


def urgency(request, *args, **kwargs):
    raise Http404


def merge(request, *args, **kwargs):
    raise Http404


def cancel(request, *args, **kwargs):
    raise Http404


def follow_ups(request, *args, **kwargs):
    raise Http404


def follow_up(request, *args, **kwargs):
    raise Http404


def categories(request, *args, **kwargs):
    raise Http404


def category_edit(request, *args, **kwargs):
    raise Http404


def technicians(request, *args, **kwargs):
    raise Http404


def technician_edit(request, *args, **kwargs):
    raise Http404
