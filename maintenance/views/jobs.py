"""Placeholder: the helper building this module replaces it."""

from django.http import Http404


def my_jobs(request, *args, **kwargs):
    raise Http404


def job(request, *args, **kwargs):
    raise Http404


def job_start(request, *args, **kwargs):
    raise Http404


def job_issue(request, *args, **kwargs):
    raise Http404


def job_return(request, *args, **kwargs):
    raise Http404


def job_finish(request, *args, **kwargs):
    raise Http404
