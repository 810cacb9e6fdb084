"""The repairs endpoints under /api/v1/ (maintenance.api.views)."""

from django.urls import path

from maintenance.api import planned, views

urlpatterns = [
    path("ticket-categories/", views.CategoryList.as_view(), name="api-ticket-categories"),
    path("tickets/", views.TicketListCreate.as_view(), name="api-tickets"),
    path("tickets/<int:pk>/", views.TicketDetail.as_view(), name="api-ticket"),
    path("tickets/<int:pk>/confirm/", views.TicketConfirm.as_view(), name="api-ticket-confirm"),
    path("tickets/<int:pk>/reopen/", views.TicketReopen.as_view(), name="api-ticket-reopen"),
    path("tickets/<int:pk>/cancel/", views.TicketCancel.as_view(), name="api-ticket-cancel"),
    path("tickets/<int:pk>/assign/", views.TicketAssign.as_view(), name="api-ticket-assign"),
    path("tickets/<int:pk>/start/", views.TicketStart.as_view(), name="api-ticket-start"),
    path("tickets/<int:pk>/finish/", views.TicketFinish.as_view(), name="api-ticket-finish"),
    # Planned work (maintenance.api.planned): a technician's jobs for today, the rooms of
    # readiness campaigns and their checklists.
    path("jobs/today/", planned.JobsToday.as_view(), name="api-jobs-today"),
    path("meters/", planned.MeterList.as_view(), name="api-meters"),
    path(
        "meters/<int:pk>/readings/", planned.MeterReadingCreate.as_view(), name="api-meter-reading"
    ),
    path("room-tasks/", planned.RoomTaskList.as_view(), name="api-room-tasks"),
    path("room-tasks/<int:pk>/", planned.RoomTaskDetail.as_view(), name="api-room-task"),
    path(
        "room-tasks/<int:pk>/checklist/",
        planned.RoomTaskChecklist.as_view(),
        name="api-room-task-checklist",
    ),
    path(
        "room-tasks/<int:pk>/faults/", planned.RoomTaskFault.as_view(), name="api-room-task-fault"
    ),
]
