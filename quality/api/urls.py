urlpatterns: list = [
    # (routes of quality/api/ go here)
]
