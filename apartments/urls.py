from django.urls import path

from apartments.views import buildings, dashboard, desk, kits, residents
from apartments.views import imports as import_views

app_name = "apartments"

urlpatterns = [
    path("buildings/", buildings.building_list, name="building_list"),
    path("buildings/<int:pk>/", buildings.building_detail, name="building_detail"),
    path("my-room/", residents.my_room, name="my_room"),
    # imports: (routes of apartments/views/imports.py go here)
    path("imports/", import_views.import_upload, name="import_upload"),
    path(
        "imports/template/<slug:kind>.<slug:fmt>",
        import_views.import_template,
        name="import_template",
    ),
    # desk and kits: (routes of apartments/views/desk.py and kits.py go here)
    path("desk/", desk.desk_choose, name="desk_choose"),
    path("desk/<int:building_id>/", desk.desk, name="desk"),
    path("desk/<int:building_id>/lookup/", desk.desk_lookup, name="desk_lookup"),
    path("desk/<int:building_id>/check-in/", desk.desk_checkin, name="desk_checkin"),
    path("buildings/<int:pk>/kits/", kits.kit_list, name="building_kits"),
    path("buildings/<int:pk>/kits/beds/<int:bed_id>/", kits.kit_bed, name="kit_bed"),
    path("buildings/<int:pk>/kits/beds/<int:bed_id>/check/", kits.kit_check, name="kit_check"),
    path("buildings/<int:pk>/kits/mark-placed/", kits.kit_mark_placed, name="kit_mark_placed"),
    # assets: (routes of apartments/views/assets.py go here)
    # stocktakes: (routes of apartments/views/stocktakes.py go here)
    # move-out: (routes of apartments/views/move_out.py go here)
    # dashboard: (routes of apartments/views/dashboard.py go here)
    path("move-in/", dashboard.move_in_dashboard, name="move_in_dashboard"),
    path("move-in/live/", dashboard.move_in_dashboard_live, name="move_in_dashboard_live"),
    path("move-in/not-arrived/", dashboard.not_arrived, name="not_arrived"),
    path("move-in/not-arrived/export/", dashboard.not_arrived_export, name="not_arrived_export"),
]
