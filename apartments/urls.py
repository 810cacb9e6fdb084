from django.urls import path

from apartments.views import buildings

app_name = "apartments"

urlpatterns = [
    path("buildings/", buildings.building_list, name="building_list"),
    path("buildings/<int:pk>/", buildings.building_detail, name="building_detail"),
    # imports: (routes of apartments/views/imports.py go here)
    # desk and kits: (routes of apartments/views/desk.py and kits.py go here)
    # dashboard: (routes of apartments/views/dashboard.py go here)
]
