"""Placeholder: the helper building this module replaces it."""

from django.http import Http404


def nc_list(request, *args, **kwargs):
    raise Http404


def nc_new(request, *args, **kwargs):
    raise Http404


def nc_detail(request, *args, **kwargs):
    raise Http404


def nc_assign(request, *args, **kwargs):
    raise Http404


def nc_answer(request, *args, **kwargs):
    raise Http404


def nc_verify(request, *args, **kwargs):
    raise Http404
