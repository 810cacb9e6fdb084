"""The quality endpoints under /api/v1/ (quality.api.views)."""

from django.urls import path

from quality.api import iso, surveys, views

urlpatterns = [
    path("surveys/mine/", surveys.MySurveys.as_view(), name="api-surveys-mine"),
    path("surveys/answer/<str:token>/", surveys.SurveyAnswer.as_view(), name="api-survey-answer"),
    path("scorecards/", surveys.ScorecardList.as_view(), name="api-scorecards"),
    path("inspections/", views.InspectionList.as_view(), name="api-inspections"),
    path("inspections/<int:pk>/", views.InspectionDetail.as_view(), name="api-inspection"),
    path("nonconformities/", views.NonconformityList.as_view(), name="api-nonconformities"),
    path(
        "nonconformities/<int:pk>/",
        views.NonconformityDetail.as_view(),
        name="api-nonconformity",
    ),
    path(
        "nonconformities/<int:pk>/answer/",
        views.NonconformityAnswer.as_view(),
        name="api-nonconformity-answer",
    ),
    path(
        "nonconformities/<int:pk>/verify/",
        views.NonconformityVerify.as_view(),
        name="api-nonconformity-verify",
    ),
    path(
        "complaint-categories/",
        views.ComplaintCategoryList.as_view(),
        name="api-complaint-categories",
    ),
    path("complaints/", views.ComplaintListCreate.as_view(), name="api-complaints"),
    path("complaints/<int:pk>/", views.ComplaintDetail.as_view(), name="api-complaint"),
    path(
        "complaints/<int:pk>/feedback/",
        views.ComplaintFeedback.as_view(),
        name="api-complaint-feedback",
    ),
    path("documents/", iso.DocumentList.as_view(), name="api-documents"),
    path(
        "documents/acknowledgements/mine/",
        iso.MyAcknowledgements.as_view(),
        name="api-my-acknowledgements",
    ),
    path("documents/<int:pk>/", iso.DocumentDetail.as_view(), name="api-document"),
    path(
        "documents/<int:pk>/acknowledge/",
        iso.DocumentAcknowledge.as_view(),
        name="api-document-acknowledge",
    ),
    path("audits/", iso.AuditList.as_view(), name="api-audits"),
    path("audits/<int:pk>/", iso.AuditDetail.as_view(), name="api-audit"),
    path("objectives/", iso.ObjectiveList.as_view(), name="api-objectives"),
    path("training/mine/", iso.MyTraining.as_view(), name="api-my-training"),
]
