"""Placeholder: the helper building this module replaces it."""

from django.http import Http404


def storeroom_list(request, *args, **kwargs):
    raise Http404


def low_stock(request, *args, **kwargs):
    raise Http404


def storeroom_detail(request, *args, **kwargs):
    raise Http404


def stock_add(request, *args, **kwargs):
    raise Http404


def stock_detail(request, *args, **kwargs):
    raise Http404


def stock_receipt(request, *args, **kwargs):
    raise Http404


def stock_adjustment(request, *args, **kwargs):
    raise Http404


def material_list(request, *args, **kwargs):
    raise Http404


def material_edit(request, *args, **kwargs):
    raise Http404
