"""Reference data every installation has: the service areas of the ISO 9001 service
standards. Migration 0002 keeps its own frozen copy, as migrations should; code that needs the
areas and may find them missing (a flushed test database, an area deleted by hand) restores
them from here."""

SERVICE_AREAS = [
    # (code, Chinese name, English name)
    ("dining", "饮食服务", "Dining"),
    ("reception", "接待服务", "Reception"),
    ("commerce", "商贸服务", "Commerce"),
    ("transport", "交通服务", "Transport"),
    ("health_care", "医疗保健", "Health care"),
    ("apartments", "学生公寓", "Apartments"),
    ("maintenance_utilities", "维修与水电", "Maintenance and utilities"),
    ("cleaning_greening", "保洁绿化", "Cleaning and greening"),
]


def service_areas_ensure(codes=None):
    """The ServiceArea rows for `codes` (default: all), created where missing."""
    from logistics.models import ServiceArea

    areas = {}
    for position, (code, name, name_en) in enumerate(SERVICE_AREAS, start=1):
        if codes is None or code in codes:
            areas[code], _ = ServiceArea.objects.get_or_create(
                code=code, defaults={"name": name, "name_en": name_en, "position": position}
            )
    return areas
