"""/s/<token>/: a survey's answering page, outside the quality namespace (a short link for
messages and e-mails)."""

from django.urls import path

from quality.views import surveys

urlpatterns = [
    path("<str:token>/", surveys.survey_answer, name="survey_answer"),
    path("<str:token>/decline/", surveys.survey_decline, name="survey_decline"),
]
