from django.urls import path

from dining import views, views_setup

app_name = "dining"

urlpatterns = [
    # students (any signed-in user): the menu, rating, a dish's page
    path("", views.menu, name="menu"),
    path("rate/", views.rate, name="rate"),
    path("dishes/<int:pk>/", views.dish_detail, name="dish"),
    path("dishes/<int:pk>/photo/", views.dish_photo, name="dish_photo"),
    path("ratings/<int:pk>/hide/", views.rating_hide, name="rating_hide"),
    # canteen staff and the dining manager: the day board and its records
    path("canteens/", views.board_choose, name="board_choose"),
    path("canteens/<int:pk>/day/", views.board, name="board"),
    path("canteens/<int:pk>/samples/", views.sample_record, name="sample_record"),
    path("samples/<int:pk>/destroy/", views.sample_destroy, name="sample_destroy"),
    path("canteens/<int:pk>/checks/", views.morning_check, name="morning_check"),
    path("canteens/<int:pk>/temperatures/", views.temperature, name="temperature"),
    path("suppliers/", views.suppliers, name="suppliers"),
    path("intakes/", views.intake, name="intake"),
    # the dining manager
    path("import/", views.import_upload, name="import"),
    path("import/template.<str:fmt>", views.import_template, name="import_template"),
    path("menus/<int:pk>/", views.menu_edit, name="menu_edit"),
    path("menus/<int:pk>/add/", views.menu_add, name="menu_add"),
    path("menus/items/<int:pk>/remove/", views.menu_remove, name="menu_remove"),
    path("menus/<int:pk>/copy-week/", views.menu_copy_week, name="menu_copy_week"),
    path("prices/", views.price_requests, name="prices"),
    path("prices/set/", views.price_set, name="price_set"),
    path("prices/<int:pk>/decide/", views.price_decide, name="price_decide"),
    path("report/", views.price_report, name="report"),
    # the dining manager sets up their canteens (dining.setup)
    path("setup/", views_setup.canteen_list, name="setup"),
    path("setup/new/", views_setup.canteen_new, name="setup_new"),
    path("setup/<int:pk>/", views_setup.canteen_page, name="setup_canteen"),
    path("setup/<int:pk>/workers/", views_setup.worker_add, name="setup_worker_add"),
    path("setup/workers/<int:pk>/roster/", views_setup.worker_roster, name="setup_worker_roster"),
    path("setup/<int:pk>/fridges/", views_setup.fridge_add, name="setup_fridge_add"),
    path("setup/fridges/<int:pk>/in-use/", views_setup.fridge_in_use, name="setup_fridge_in_use"),
    path("setup/<int:pk>/staff/", views_setup.staff_add, name="setup_staff_add"),
    path("setup/staff/<int:pk>/remove/", views_setup.staff_remove, name="setup_staff_remove"),
]
