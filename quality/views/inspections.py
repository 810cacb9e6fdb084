"""Placeholder: the helper building this module replaces it."""

from django.http import Http404


def inspection_list(request, *args, **kwargs):
    raise Http404


def inspection_new(request, *args, **kwargs):
    raise Http404


def inspection_detail(request, *args, **kwargs):
    raise Http404


def inspection_fill(request, *args, **kwargs):
    raise Http404


def answer_save(request, *args, **kwargs):
    raise Http404


def inspection_submit(request, *args, **kwargs):
    raise Http404


def inspection_amend(request, *args, **kwargs):
    raise Http404


def inspection_discard(request, *args, **kwargs):
    raise Http404


def chain_verify(request, *args, **kwargs):
    raise Http404
