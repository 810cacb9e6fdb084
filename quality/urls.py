from django.urls import path

from quality.views import (
    audits,
    checklists,
    complaints,
    dashboard,
    documents,
    inspections,
    management_reviews,
    nonconformities,
    objectives,
    scorecards,
    surveys,
    training,
)

app_name = "quality"

urlpatterns = [
    # dashboard: (routes of quality/views/dashboard.py go here)
    path("", dashboard.dashboard, name="dashboard"),
    path("dashboard.xlsx", dashboard.dashboard_export, name="dashboard_export"),
    # checklists: (routes of quality/views/checklists.py go here) service standards
    path("checklists/", checklists.checklist_list, name="checklist_list"),
    path("checklists/new/", checklists.checklist_new, name="checklist_new"),
    path("checklists/<int:pk>/", checklists.checklist_detail, name="checklist_detail"),
    path("checklists/<int:pk>/draft/", checklists.checklist_draft, name="checklist_draft"),
    path("versions/<int:pk>/", checklists.version_edit, name="version_edit"),
    path("versions/<int:pk>/items/", checklists.item_save, name="item_save"),
    path(
        "versions/<int:pk>/items/<int:item_id>/delete/",
        checklists.item_delete,
        name="item_delete",
    ),
    path("versions/<int:pk>/publish/", checklists.version_publish, name="version_publish"),
    # inspections: (routes of quality/views/inspections.py go here) records and the seal chain
    path("inspections/", inspections.inspection_list, name="inspection_list"),
    path("inspections/new/", inspections.inspection_new, name="inspection_new"),
    path("inspections/<int:pk>/", inspections.inspection_detail, name="inspection_detail"),
    path("inspections/<int:pk>/pdf/", inspections.inspection_pdf, name="inspection_pdf"),
    path("inspections/<int:pk>/fill/", inspections.inspection_fill, name="inspection_fill"),
    path(
        "inspections/<int:pk>/answers/<int:item_id>/",
        inspections.answer_save,
        name="answer_save",
    ),
    path("inspections/<int:pk>/submit/", inspections.inspection_submit, name="inspection_submit"),
    path("inspections/<int:pk>/amend/", inspections.inspection_amend, name="inspection_amend"),
    path(
        "inspections/<int:pk>/discard/", inspections.inspection_discard, name="inspection_discard"
    ),
    path("chain/", inspections.chain_verify, name="chain_verify"),
    # nonconformities: (routes of quality/views/nonconformities.py go here)
    path("nonconformities/", nonconformities.nc_list, name="nc_list"),
    path("nonconformities/new/", nonconformities.nc_new, name="nc_new"),
    path("nonconformities/<int:pk>/", nonconformities.nc_detail, name="nc_detail"),
    path("nonconformities/<int:pk>/owner/", nonconformities.nc_assign, name="nc_assign"),
    path("nonconformities/<int:pk>/answer/", nonconformities.nc_answer, name="nc_answer"),
    path("nonconformities/<int:pk>/verify/", nonconformities.nc_verify, name="nc_verify"),
    # complaints: (routes of quality/views/complaints.py go here)
    path("complaints/", complaints.complaint_list, name="complaint_list"),
    path("complaints/mine/", complaints.my_complaints, name="my_complaints"),
    path("complaints/new/", complaints.complaint_new, name="complaint_new"),
    path("complaints/record/", complaints.complaint_record, name="complaint_record"),
    path("complaints/<int:pk>/", complaints.complaint_detail, name="complaint_detail"),
    path("complaints/<int:pk>/assign/", complaints.complaint_assign, name="complaint_assign"),
    path("complaints/<int:pk>/answer/", complaints.complaint_answer, name="complaint_answer"),
    path("complaints/<int:pk>/feedback/", complaints.complaint_feedback, name="complaint_feedback"),
    path("complaints/<int:pk>/close/", complaints.complaint_close, name="complaint_close"),
    path(
        "complaints/<int:pk>/nonconformity/",
        complaints.complaint_to_nc,
        name="complaint_to_nc",
    ),
    # surveys: (quality/views/surveys.py) results; the answering page is /s/<token>/
    path("surveys/", surveys.survey_list, name="survey_list"),
    path("surveys/mine/", surveys.my_surveys, name="my_surveys"),
    path("surveys/windows/", surveys.window_list, name="window_list"),
    path("surveys/<slug:code>/", surveys.survey_results, name="survey_results"),
    path("surveys/<slug:code>/versions/", surveys.survey_versions, name="survey_versions"),
    path(
        "surveys/<slug:code>/versions/<slug:action>/",
        surveys.survey_version_action,
        name="survey_version_action",
    ),
    path(
        "surveys/<slug:code>/results.xlsx",
        surveys.survey_results_export,
        name="survey_results_export",
    ),
    # scorecards: (quality/views/scorecards.py)
    path("scorecards/", scorecards.scorecard_list, name="scorecard_list"),
    path("scorecards/publish/", scorecards.scorecard_publish, name="scorecard_publish"),
    path("scorecards/weights/", scorecards.weights_edit, name="scorecard_weights"),
    path("scorecards/<int:pk>/", scorecards.scorecard_detail, name="scorecard_detail"),
    path("scorecards/<int:pk>/award/", scorecards.scorecard_award, name="scorecard_award"),
    path("technicians/me/", scorecards.technician_card, name="my_technician_card"),
    path("technicians/<int:user_id>/", scorecards.technician_card, name="technician_card"),
    path("complaint-categories/", complaints.category_list, name="complaint_categories"),
    path(
        "complaint-categories/<int:pk>/",
        complaints.category_edit,
        name="complaint_category_edit",
    ),
    # documents: (quality/views/documents.py) controlled documents (文件控制)
    path("documents/", documents.document_list, name="document_list"),
    path("documents/new/", documents.document_new, name="document_new"),
    path("documents/coverage/", documents.coverage, name="document_coverage"),
    path("documents/<int:pk>/", documents.document_detail, name="document_detail"),
    path("documents/<int:pk>/new-version/", documents.version_new, name="version_new"),
    path("documents/<int:pk>/reviewed/", documents.document_reviewed, name="document_reviewed"),
    path("documents/<int:pk>/withdraw/", documents.document_withdraw, name="document_withdraw"),
    path("document-versions/<int:pk>/", documents.version_detail, name="version_detail"),
    path("document-versions/<int:pk>/edit/", documents.version_edit, name="version_edit_text"),
    path("document-versions/<int:pk>/submit/", documents.version_submit, name="version_submit"),
    path("document-versions/<int:pk>/approve/", documents.version_approve, name="version_approve"),
    path("document-versions/<int:pk>/return/", documents.version_return, name="version_return"),
    path(
        "document-versions/<int:pk>/acknowledge/",
        documents.acknowledge,
        name="document_acknowledge",
    ),
    path("document-versions/<int:pk>/pdf/", documents.version_pdf, name="version_pdf"),
    # audits: (quality/views/audits.py) internal audits (内部审核)
    path("audits/", audits.programme, name="audit_programme"),
    path("audits/new/", audits.audit_new, name="audit_new"),
    path("audits/questions/", audits.question_list, name="audit_questions"),
    path("audits/questions/<int:pk>/", audits.question_edit, name="audit_question_edit"),
    path("audits/questions/<int:pk>/retire/", audits.question_retire, name="audit_question_retire"),
    path(
        "audits/questions/<int:pk>/restore/",
        audits.question_restore,
        name="audit_question_restore",
    ),
    path("audits/<int:pk>/", audits.audit_detail, name="audit_detail"),
    path("audits/<int:pk>/report/", audits.audit_report, name="audit_report"),
    path("audits/<int:pk>/report/pdf/", audits.audit_report_pdf, name="audit_report_pdf"),
    path("audit-findings/<int:pk>/nonconformity/", audits.finding_to_nc, name="finding_to_nc"),
    # objectives: (quality/views/objectives.py) quality objectives (质量目标)
    path("objectives/", objectives.objective_list, name="objective_list"),
    path("objectives/new/", objectives.objective_new, name="objective_new"),
    path(
        "objective-reviews/<int:pk>/comment/",
        objectives.review_comment,
        name="objective_review_comment",
    ),
    # training: (quality/views/training.py) competence and training (培训)
    path("training/", training.session_list, name="training_list"),
    path("training/new/", training.session_new, name="training_new"),
    path("training/plan/", training.training_plan, name="training_plan"),
    path("training/mine/", training.my_record, name="my_training"),
    path("training/<int:pk>/", training.session_detail, name="training_session"),
    path("training/people/<int:user_id>/", training.person_record, name="training_record"),
    path(
        "training/people/<int:user_id>/qualification/",
        training.qualification_grant,
        name="qualification_grant",
    ),
    # management reviews: (quality/views/management_reviews.py) 管理评审
    path("management-reviews/", management_reviews.review_list, name="management_reviews"),
    path("management-reviews/new/", management_reviews.review_new, name="management_review_new"),
    path(
        "management-reviews/<int:pk>/", management_reviews.review_detail, name="management_review"
    ),
    path(
        "management-review-actions/<int:pk>/nonconformity/",
        management_reviews.action_to_nc,
        name="review_action_to_nc",
    ),
    path(
        "management-review-actions/<int:pk>/objective/",
        management_reviews.action_to_objective,
        name="review_action_to_objective",
    ),
]
