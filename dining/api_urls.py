"""The dining endpoints under /api/v1/ (dining/api.py)."""

from django.urls import path

from dining import api

urlpatterns = [
    path("canteens/", api.CanteenList.as_view(), name="api-canteens"),
    path("menus/", api.MenuList.as_view(), name="api-menus"),
    path("dish-ratings/", api.DishRatingCreate.as_view(), name="api-dish-ratings"),
    path("food-samples/", api.FoodSampleCreate.as_view(), name="api-food-samples"),
]
