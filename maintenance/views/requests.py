"""Placeholder: the helper building this module replaces it."""

from django.http import Http404


def my_tickets(request, *args, **kwargs):
    raise Http404


def ticket_new(request, *args, **kwargs):
    raise Http404


def ticket_detail(request, *args, **kwargs):
    raise Http404


def ticket_confirm(request, *args, **kwargs):
    raise Http404


def ticket_reopen(request, *args, **kwargs):
    raise Http404


def ticket_cancel(request, *args, **kwargs):
    raise Http404


def place_list(request, *args, **kwargs):
    raise Http404


def area_new(request, *args, **kwargs):
    raise Http404


def qr_sheet(request, *args, **kwargs):
    raise Http404


def campus_qr_sheet(request, *args, **kwargs):
    raise Http404


def qr_code(request, *args, **kwargs):
    raise Http404
