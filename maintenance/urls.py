from django.urls import path

from maintenance.views import (
    campaigns,
    dispatch,
    filing,
    jobs,
    meters,
    my_repairs,
    places,
    planned,
    reports,
    stores,
    ticket,
)

app_name = "maintenance"

urlpatterns = [
    # my_repairs: the reporter's own requests
    path("", my_repairs.my_tickets, name="my_tickets"),
    # filing: the request form
    path("new/", filing.ticket_new, name="ticket_new"),
    # ticket: one request's page and the reporter's actions
    path("<int:pk>/", ticket.ticket_detail, name="ticket_detail"),
    path("<int:pk>/confirm/", ticket.ticket_confirm, name="ticket_confirm"),
    path("<int:pk>/reopen/", ticket.ticket_reopen, name="ticket_reopen"),
    path("<int:pk>/cancel/", ticket.ticket_cancel, name="ticket_cancel"),
    # places: public areas and the QR sheets
    path("places/", places.place_list, name="place_list"),
    path("places/areas/new/", places.area_new, name="area_new"),
    path("places/buildings/<int:pk>/qr/", places.qr_sheet, name="qr_sheet"),
    path("places/campuses/<int:pk>/qr/", places.campus_qr_sheet, name="campus_qr_sheet"),
    path("places/qr/<slug:kind>-<int:pk>.svg", places.qr_code, name="qr_code"),
    # dispatch: (routes of maintenance/views/dispatch.py go here)
    path("dispatch/", dispatch.queue, name="dispatch_queue"),
    path("dispatch/<int:pk>/", dispatch.dispatch_ticket, name="dispatch_ticket"),
    path("dispatch/<int:pk>/assign/", dispatch.assign, name="dispatch_assign"),
    path("dispatch/<int:pk>/urgency/", dispatch.urgency, name="dispatch_urgency"),
    path("dispatch/<int:pk>/merge/", dispatch.merge, name="dispatch_merge"),
    path("dispatch/<int:pk>/cancel/", dispatch.cancel, name="dispatch_cancel"),
    path("follow-ups/", dispatch.follow_ups, name="follow_ups"),
    path("follow-ups/<int:pk>/", dispatch.follow_up, name="follow_up"),
    path("categories/", dispatch.categories, name="categories"),
    path("categories/<int:pk>/", dispatch.category_edit, name="category_edit"),
    path("technicians/", dispatch.technicians, name="technicians"),
    path("technicians/<int:pk>/", dispatch.technician_edit, name="technician_edit"),
    # jobs: (routes of maintenance/views/jobs.py go here) the technician's phone
    path("jobs/", jobs.my_jobs, name="my_jobs"),
    path("jobs/<int:pk>/", jobs.job, name="job"),
    path("jobs/<int:pk>/start/", jobs.job_start, name="job_start"),
    path("jobs/<int:pk>/materials/", jobs.job_issue, name="job_issue"),
    path("jobs/<int:pk>/returns/", jobs.job_return, name="job_return"),
    path("jobs/<int:pk>/finish/", jobs.job_finish, name="job_finish"),
    # stores: (routes of maintenance/views/stores.py go here) the storeroom
    path("stores/", stores.storeroom_list, name="storeroom_list"),
    path("stores/low/", stores.low_stock, name="low_stock"),
    path("stores/<int:pk>/", stores.storeroom_detail, name="storeroom_detail"),
    path("stores/<int:pk>/add/", stores.stock_add, name="stock_add"),
    path("stores/stock/<int:pk>/", stores.stock_detail, name="stock_detail"),
    path("stores/stock/<int:pk>/receipt/", stores.stock_receipt, name="stock_receipt"),
    path("stores/stock/<int:pk>/adjust/", stores.stock_adjustment, name="stock_adjustment"),
    path("materials/", stores.material_list, name="material_list"),
    path("materials/<int:pk>/", stores.material_edit, name="material_edit"),
    # reports: (routes of maintenance/views/reports.py go here)
    path("reports/", reports.report, name="reports"),
    path("reports/<slug:kind>.xlsx", reports.report_export, name="report_export"),
    # campaigns: readiness campaigns and the readiness board
    path("readiness/", campaigns.readiness, name="readiness"),
    path("campaigns/new/", campaigns.campaign_new, name="campaign_new"),
    path("campaigns/<int:pk>/", campaigns.campaign, name="campaign"),
    path("campaigns/<int:pk>/board.xlsx", campaigns.campaign_export, name="campaign_export"),
    path("campaigns/<int:pk>/close/", campaigns.campaign_close, name="campaign_close"),
    path(
        "campaigns/<int:pk>/buildings/<int:building_pk>/",
        campaigns.campaign_building,
        name="campaign_building",
    ),
    path("campaigns/rooms/<int:pk>/", campaigns.room_task, name="room_task"),
    path("campaigns/rooms/<int:pk>/fault/", campaigns.room_fault, name="room_fault"),
    # planned: preventive schedules and the planned-against-reactive report
    path("schedules/", planned.schedules, name="schedules"),
    path("schedules/new/", planned.schedule_new, name="schedule_new"),
    path("schedules/<int:pk>/", planned.schedule, name="schedule"),
    path("reports/planned/", planned.planned_report, name="planned_report"),
    path("meters/", meters.meter_list, name="meters"),
    path("meters/new/", meters.meter_new, name="meter_new"),
    path("meters/<int:pk>/", meters.meter, name="meter"),
]
