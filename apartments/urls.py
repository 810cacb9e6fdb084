from django.urls import path

from apartments.views import agreements as agreement_views
from apartments.views import assets as asset_views
from apartments.views import buildings, dashboard, desk, kits, move_out, residents
from apartments.views import condition_reports as condition_views
from apartments.views import fire_equipment as fire_views
from apartments.views import handovers as handover_views
from apartments.views import imports as import_views
from apartments.views import inspections as inspection_views
from apartments.views import late_returns as late_return_views
from apartments.views import rounds as round_views
from apartments.views import safety as safety_views
from apartments.views import stocktakes as stocktake_views

app_name = "apartments"

urlpatterns = [
    path("buildings/", buildings.building_list, name="building_list"),
    path("buildings/<int:pk>/", buildings.building_detail, name="building_detail"),
    path("buildings/<int:pk>/beds/", buildings.building_beds, name="building_beds"),
    path("my-room/", residents.my_room, name="my_room"),
    path("residents/<int:pk>/", residents.resident_card, name="resident_card"),
    # imports: (routes of apartments/views/imports.py go here)
    path("imports/", import_views.import_upload, name="import_upload"),
    path(
        "imports/template/<slug:kind>.<slug:fmt>",
        import_views.import_template,
        name="import_template",
    ),
    # dorm safety: (routes of apartments/views/safety.py go here)
    path("safety/zero-report/", safety_views.zero_report_choose, name="zero_report_choose"),
    path(
        "safety/zero-report/<int:building_id>/",
        safety_views.zero_report_file,
        name="zero_report_file",
    ),
    path("safety/zero-reports/", safety_views.night_board, name="zero_report_board"),
    path(
        "safety/zero-reports/<int:building_id>/month/",
        safety_views.building_month,
        name="zero_report_month",
    ),
    # safety rounds and hazards: (routes of apartments/views/rounds.py go here)
    path("safety/rounds/", round_views.round_choose, name="round_choose"),
    path("safety/rounds/<int:building_id>/", round_views.safety_round, name="safety_round"),
    path(
        "safety/round-rooms/<int:pk>/record/",
        round_views.round_room_record,
        name="round_room_record",
    ),
    path("safety/round/<int:pk>/finish/", round_views.round_finish, name="round_finish"),
    path("safety/hazards/", round_views.hazard_list, name="hazard_list"),
    path("safety/hazards/<int:pk>/", round_views.hazard_detail, name="hazard_detail"),
    path("safety/hazards/<int:pk>/rectify/", round_views.hazard_rectify, name="hazard_rectify"),
    path(
        "safety/hazards/<int:pk>/verify/",
        round_views.hazard_recheck,
        {"action": "verify"},
        name="hazard_verify",
    ),
    path(
        "safety/hazards/<int:pk>/reopen/",
        round_views.hazard_recheck,
        {"action": "reopen"},
        name="hazard_reopen",
    ),
    path(
        "safety/hazards/<int:pk>/confiscations/",
        round_views.confiscation_create,
        name="confiscation_create",
    ),
    path(
        "safety/confiscations/<int:pk>/return/",
        round_views.confiscation_return,
        name="confiscation_return",
    ),
    path("safety/late-returns/", late_return_views.late_return_choose, name="late_return_choose"),
    path(
        "safety/late-returns/<int:building_id>/",
        late_return_views.late_return_night,
        name="late_returns",
    ),
    path(
        "safety/late-returns/<int:building_id>/record/",
        late_return_views.late_return_record,
        name="late_return_record",
    ),
    path("safety/my-late-returns/", late_return_views.my_late_returns, name="my_late_returns"),
    path("safety/fire-equipment/", fire_views.fire_equipment_choose, name="fire_equipment_choose"),
    path(
        "safety/fire-equipment/<int:building_id>/",
        fire_views.fire_equipment_list,
        name="fire_equipment",
    ),
    path("safety/agreements/", agreement_views.agreements_mine, name="agreements_mine"),
    path("safety/agreements/<int:pk>/sign/", agreement_views.agreement_sign, name="agreement_sign"),
    path("safety/agreements/coverage/", agreement_views.coverage_board, name="agreements_board"),
    path(
        "safety/agreements/coverage/export.xlsx",
        agreement_views.coverage_export,
        name="agreements_export",
    ),
    path(
        "safety/agreements/coverage/<int:building_id>/",
        agreement_views.coverage_building,
        name="agreements_building",
    ),
    path(
        "safety/agreements/coverage/<int:building_id>/paper/",
        agreement_views.paper_signature,
        name="agreements_paper",
    ),
    path("safety/handovers/", handover_views.handover_choose, name="handover_choose"),
    path("safety/handovers/<int:building_id>/", handover_views.handover_list, name="handovers"),
    path(
        "safety/handovers/<int:building_id>/new/", handover_views.handover_new, name="handover_new"
    ),
    path("safety/handovers/h/<int:pk>/", handover_views.handover_detail, name="handover_detail"),
    path(
        "safety/handovers/h/<int:pk>/acknowledge/",
        handover_views.handover_acknowledge,
        name="handover_acknowledge",
    ),
    path(
        "safety/fire-equipment/items/<int:pk>/check/",
        fire_views.fire_equipment_check,
        name="fire_equipment_check",
    ),
    # desk and kits: (routes of apartments/views/desk.py and kits.py go here)
    path("desk/", desk.desk_choose, name="desk_choose"),
    path("desk/<int:building_id>/", desk.desk, name="desk"),
    path("desk/<int:building_id>/lookup/", desk.desk_lookup, name="desk_lookup"),
    path("desk/<int:building_id>/check-in/", desk.desk_checkin, name="desk_checkin"),
    path("buildings/<int:pk>/kits/", kits.kit_list, name="building_kits"),
    path("buildings/<int:pk>/kits/beds/<int:bed_id>/", kits.kit_bed, name="kit_bed"),
    path("buildings/<int:pk>/kits/beds/<int:bed_id>/check/", kits.kit_check, name="kit_check"),
    path("buildings/<int:pk>/kits/beds/<int:bed_id>/items/", kits.kit_items, name="kit_items"),
    path("buildings/<int:pk>/kits/mark-placed/", kits.kit_mark_placed, name="kit_mark_placed"),
    # assets: (routes of apartments/views/assets.py go here)
    path("assets/prices/", asset_views.price_list, name="asset_prices"),
    path("assets/storerooms/", asset_views.storeroom_list, name="storeroom_list"),
    path("assets/storerooms/<int:pk>/", asset_views.storeroom_detail, name="storeroom_detail"),
    path("rooms/<int:room_id>/assets/", asset_views.room_assets, name="room_assets"),
    path("buildings/<int:pk>/assets/", asset_views.building_assets, name="building_assets"),
    path(
        "buildings/<int:pk>/assets/export/",
        asset_views.building_assets_export,
        name="building_assets_export",
    ),
    # stocktakes: (routes of apartments/views/stocktakes.py go here)
    path("stocktakes/", stocktake_views.stocktake_list, name="stocktake_list"),
    path("stocktakes/start/", stocktake_views.stocktake_start, name="stocktake_start"),
    path("stocktakes/<int:pk>/", stocktake_views.stocktake_count_page, name="stocktake_count"),
    path(
        "stocktakes/<int:pk>/count/", stocktake_views.stocktake_count, name="stocktake_count_post"
    ),
    path(
        "stocktakes/<int:pk>/differences/",
        stocktake_views.stocktake_differences,
        name="stocktake_differences",
    ),
    path(
        "stocktakes/<int:pk>/lines/<int:line_id>/responsible/",
        stocktake_views.stocktake_responsible,
        name="stocktake_responsible",
    ),
    path(
        "stocktakes/<int:pk>/complete/",
        stocktake_views.stocktake_complete,
        name="stocktake_complete",
    ),
    path("stocktakes/<int:pk>/export/", stocktake_views.stocktake_export, name="stocktake_export"),
    # move-out: (routes of apartments/views/move_out.py go here)
    path("move-out/", move_out.move_out_list, name="move_out_list"),
    path("move-out/board/", move_out.move_out_board, name="move_out_board"),
    path("move-out/mine/", move_out.my_move_out, name="my_move_out"),
    path("move-out/mine/file/", move_out.my_move_out_file, name="my_move_out_file"),
    path("move-out/mine/charges/pdf/", inspection_views.my_charges_pdf, name="my_charges_pdf"),
    path("move-out/requests/<int:pk>/", move_out.move_out_request_detail, name="move_out_request"),
    path(
        "move-out/requests/<int:pk>/cancel/",
        move_out.move_out_request_cancel,
        name="move_out_cancel",
    ),
    path(
        "move-out/requests/<int:pk>/schedule/",
        move_out.move_out_request_schedule,
        name="move_out_schedule",
    ),
    path("move-out/notices/", move_out.notice_list, name="move_out_notices"),
    path("move-out/notices/new/", move_out.notice_edit, name="move_out_notice_new"),
    path("move-out/notices/<int:pk>/", move_out.notice_detail, name="move_out_notice"),
    path("move-out/notices/<int:pk>/edit/", move_out.notice_edit, name="move_out_notice_edit"),
    path(
        "move-out/notices/<int:pk>/publish/",
        move_out.notice_publish,
        name="move_out_notice_publish",
    ),
    # inspections: (routes of apartments/views/inspections.py go here)
    path(
        "move-out/requests/<int:pk>/inspect/",
        inspection_views.inspection_start,
        name="inspection_start",
    ),
    path("move-out/requests/<int:pk>/keys/", inspection_views.keys_return, name="keys_return"),
    path(
        "move-out/requests/<int:pk>/left/", inspection_views.move_out_leave, name="move_out_leave"
    ),
    path("inspections/<int:pk>/", inspection_views.inspection_page, name="inspection"),
    path("inspections/<int:pk>/pdf/", inspection_views.inspection_pdf, name="inspection_pdf"),
    path(
        "inspections/<int:pk>/complete/",
        inspection_views.inspection_complete,
        name="inspection_complete",
    ),
    path("charges/<int:pk>/pay/", inspection_views.charge_pay, name="charge_pay"),
    path("charges/<int:pk>/waive/", inspection_views.charge_waive, name="charge_waive"),
    path("charges/<int:pk>/answer/", inspection_views.charge_answer, name="charge_answer"),
    path("charges/<int:pk>/dispute/", inspection_views.charge_dispute, name="charge_dispute"),
    path("clearance/", inspection_views.clearance_page, name="clearance"),
    path("clearance/export/", inspection_views.clearance_export, name="clearance_export"),
    # condition reports: (routes of apartments/views/condition_reports.py go here)
    path(
        "condition-reports/<int:pk>/confirm/",
        condition_views.condition_report_confirm,
        name="condition_report_confirm",
    ),
    path(
        "condition-reports/<int:pk>/dispute/",
        condition_views.condition_report_dispute,
        name="condition_report_dispute",
    ),
    path(
        "condition-reports/disputes/", condition_views.condition_disputes, name="condition_disputes"
    ),
    path(
        "condition-reports/<int:pk>/resolve/",
        condition_views.condition_report_resolve,
        name="condition_report_resolve",
    ),
    # dashboard: (routes of apartments/views/dashboard.py go here)
    path("move-in/", dashboard.move_in_dashboard, name="move_in_dashboard"),
    path("move-in/live/", dashboard.move_in_dashboard_live, name="move_in_dashboard_live"),
    path("move-in/not-arrived/", dashboard.not_arrived, name="not_arrived"),
    path("move-in/not-arrived/export/", dashboard.not_arrived_export, name="not_arrived_export"),
]
