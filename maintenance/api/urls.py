from django.urls import path

urlpatterns: list = [
    # (routes of maintenance/api/ go here)
]
