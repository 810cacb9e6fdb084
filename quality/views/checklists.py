"""Placeholder: the helper building this module replaces it."""

from django.http import Http404


def checklist_list(request, *args, **kwargs):
    raise Http404


def checklist_new(request, *args, **kwargs):
    raise Http404


def checklist_detail(request, *args, **kwargs):
    raise Http404


def checklist_draft(request, *args, **kwargs):
    raise Http404


def version_edit(request, *args, **kwargs):
    raise Http404


def item_save(request, *args, **kwargs):
    raise Http404


def item_delete(request, *args, **kwargs):
    raise Http404


def version_publish(request, *args, **kwargs):
    raise Http404
