"""Placeholder: the helper building this module replaces it."""

from django.http import Http404


def complaint_list(request, *args, **kwargs):
    raise Http404


def my_complaints(request, *args, **kwargs):
    raise Http404


def complaint_new(request, *args, **kwargs):
    raise Http404


def complaint_record(request, *args, **kwargs):
    raise Http404


def complaint_detail(request, *args, **kwargs):
    raise Http404


def complaint_assign(request, *args, **kwargs):
    raise Http404


def complaint_answer(request, *args, **kwargs):
    raise Http404


def complaint_feedback(request, *args, **kwargs):
    raise Http404


def complaint_close(request, *args, **kwargs):
    raise Http404


def complaint_to_nc(request, *args, **kwargs):
    raise Http404


def category_list(request, *args, **kwargs):
    raise Http404


def category_edit(request, *args, **kwargs):
    raise Http404
