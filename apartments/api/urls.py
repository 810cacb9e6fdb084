"""The apartments endpoints under /api/v1/."""

from django.urls import path

from apartments.api import checkins, lists
from apartments.api import late_returns as late_returns_api
from apartments.api import move_out as move_out_api
from apartments.api import rounds as rounds_api
from apartments.api import safety as safety_api

urlpatterns = [
    # check-ins: (routes of apartments/api/checkins.py go here)
    path("check-ins/", checkins.CheckInCreate.as_view(), name="api-check-ins"),
    # move-out requests: (routes of apartments/api/move_out.py go here)
    path(
        "move-out-requests/",
        move_out_api.MoveOutRequestListCreate.as_view(),
        name="api-move-out-requests",
    ),
    path(
        "move-out-requests/<int:pk>/",
        move_out_api.MoveOutRequestDetail.as_view(),
        name="api-move-out-request",
    ),
    # dorm safety: (routes of apartments/api/safety.py go here)
    path("zero-reports/", safety_api.ZeroReportListCreate.as_view(), name="api-zero-reports"),
    # safety rounds and hazards: (routes of apartments/api/rounds.py go here)
    path("safety-rounds/", rounds_api.SafetyRoundList.as_view(), name="api-safety-rounds"),
    path(
        "safety-rounds/<int:pk>/rooms/<int:room_id>/",
        rounds_api.RoundRoomRecord.as_view(),
        name="api-safety-round-room",
    ),
    path("hazards/", rounds_api.HazardList.as_view(), name="api-hazards"),
    path(
        "hazards/<int:pk>/rectify/", rounds_api.HazardRectify.as_view(), name="api-hazard-rectify"
    ),
    path("hazards/<int:pk>/verify/", rounds_api.HazardVerify.as_view(), name="api-hazard-verify"),
    path("hazards/<int:pk>/reopen/", rounds_api.HazardReopen.as_view(), name="api-hazard-reopen"),
    path(
        "late-returns/",
        late_returns_api.LateReturnListCreate.as_view(),
        name="api-late-returns",
    ),
    # summary and lists: (routes of apartments/api/summary.py and lists.py go here)
    path("move-in/summary/", lists.MoveInSummary.as_view(), name="api-move-in-summary"),
    path("buildings/", lists.BuildingList.as_view(), name="api-buildings"),
    path("rooms/", lists.RoomList.as_view(), name="api-rooms"),
    path("beds/", lists.BedList.as_view(), name="api-beds"),
    path("residents/", lists.ResidentList.as_view(), name="api-residents"),
    path("my-stay/", lists.MyStay.as_view(), name="api-my-stay"),
]
