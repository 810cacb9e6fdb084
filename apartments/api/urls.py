"""The apartments endpoints under /api/v1/."""

from django.urls import path  # noqa: F401 - used by the routes below as they are added

urlpatterns = [
    # check-ins: (routes of apartments/api/checkins.py go here)
    # summary and lists: (routes of apartments/api/summary.py and lists.py go here)
]
