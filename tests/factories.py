"""factory_boy factories for every app's models, shared by all tests."""

import factory
from django.contrib.auth.hashers import make_password

from apartments.models import Bed, Building, BuildingAssignment, Category, Gender, Resident, Room
from logistics.models import Campus, Department, Role, RoleGrant, User
from logistics.reference import service_areas_ensure

PASSWORD = "correct-horse-battery-staple"
# Hashing once keeps factories fast; every factory user can sign in with PASSWORD.
_PASSWORD_HASH = make_password(PASSWORD)


class CampusFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campus
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"campus{n}")
    name = factory.Sequence(lambda n: f"校区{n}")
    name_en = factory.Sequence(lambda n: f"Campus {n}")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"dept{n}")
    name = factory.Sequence(lambda n: f"部门{n}")
    name_en = factory.Sequence(lambda n: f"Department {n}")

    @factory.post_generation
    def areas(self, create, extracted, **kwargs):
        if create and extracted:
            self.service_areas.set(service_areas_ensure(extracted).values())


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    password = _PASSWORD_HASH


class RoleGrantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleGrant

    user = factory.SubFactory(UserFactory)
    role = Role.STUDENT
    campus = None
    department = None


def user_with_role(role: str, *, campus=None, department=None, **user_fields) -> User:
    user = UserFactory(**user_fields)
    RoleGrantFactory(user=user, role=role, campus=campus, department=department)
    return user


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building

    campus = factory.SubFactory(CampusFactory)
    code = factory.Sequence(lambda n: f"B{n:02d}")
    name = factory.Sequence(lambda n: f"{n}号公寓")
    name_en = factory.Sequence(lambda n: f"Apartment {n}")
    floors = 6


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room
        skip_postgeneration_save = True

    building = factory.SubFactory(BuildingFactory)
    floor = 1
    number = factory.Sequence(lambda n: f"{100 + n}")
    capacity = 4

    @factory.post_generation
    def with_beds(self, create, extracted, **kwargs):
        if create and extracted is not False:
            Bed.objects.bulk_create([Bed(room=self, number=n) for n in range(1, self.capacity + 1)])


class BuildingAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BuildingAssignment

    building = factory.SubFactory(BuildingFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.DORM_MANAGER


class ResidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resident
        skip_postgeneration_save = True

    student_id = factory.Sequence(lambda n: f"2025{n:06d}")
    name = factory.Sequence(lambda n: f"学生{n}")
    gender = Gender.MALE
    category = Category.UNDERGRADUATE
    campus = factory.SubFactory(CampusFactory)
    college = "计算机学院"
    user = factory.LazyAttribute(lambda o: UserFactory(username=o.student_id, full_name=o.name))

    @factory.post_generation
    def grant(self, create, extracted, **kwargs):
        if create and self.user_id:
            RoleGrant.objects.get_or_create(user=self.user, role=Role.STUDENT)


# --- maintenance -----------------------------------------------------------------------------


def resident_living_in(room, **fields):
    """A resident (with a student account) checked in to a bed of `room`."""
    from django.utils import timezone

    from apartments.models import Stay

    resident = ResidentFactory(campus=room.building.campus, **fields)
    taken = Stay.objects.filter(bed__room=room, status__in=Stay.CURRENT).values("bed_id")
    bed = room.beds.exclude(pk__in=taken).order_by("number").first()
    Stay.objects.create(
        resident=resident, bed=bed, status=Stay.Status.ACTIVE, checked_in_at=timezone.now()
    )
    return resident


def category(code="plumbing"):
    """A default fault category (created if missing, e.g. deleted by the test itself)."""
    from maintenance.reference import categories_ensure

    return categories_ensure()[code]


class StoreroomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "apartments.Storeroom"

    campus = factory.SubFactory(CampusFactory)
    code = factory.Sequence(lambda n: f"KF{n:02d}")
    name = factory.Sequence(lambda n: f"维修库房{n}")
    name_en = factory.Sequence(lambda n: f"Repair store {n}")


class PublicAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "maintenance.PublicArea"

    campus = factory.SubFactory(CampusFactory)
    building = None
    code = factory.Sequence(lambda n: f"PA{n:02d}")
    name = factory.Sequence(lambda n: f"公共区域{n}")
    name_en = factory.Sequence(lambda n: f"Public area {n}")


def technician(campus, *, skills=(), **user_fields):
    """A user with the technician role on `campus` and a roster entry with `skills` (codes)."""
    from maintenance.models import Technician

    user = user_with_role(Role.TECHNICIAN, campus=campus, **user_fields)
    profile = Technician.objects.create(user=user, campus=campus)
    if skills:
        profile.skills.set([category(code) for code in skills])
    return user


def dispatcher(campus, **user_fields):
    return user_with_role(Role.DISPATCHER, campus=campus, **user_fields)


def ticket(*, room=None, area=None, reporter=None, category_code="plumbing", **fields):
    """A repair request filed now (created directly, not through the service: tests of states
    set the fields they need)."""
    from datetime import timedelta

    from django.utils import timezone

    from maintenance.models import Ticket

    kind = category(category_code)
    now = timezone.now()
    place_building = room.building if room is not None else area.building
    campus = place_building.campus if place_building is not None else area.campus
    if reporter is None:
        reporter = resident_living_in(room).user if room is not None else UserFactory()
    values = {
        "campus": campus,
        "building": place_building,
        "room": room,
        "area": area,
        "category": kind,
        "description": "水龙头漏水",
        "reporter": reporter,
        "respond_by": now + timedelta(minutes=kind.response_minutes),
        "complete_by": now + timedelta(hours=kind.completion_hours),
    }
    values.update(fields)
    return Ticket.objects.create(**values)


class MaterialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "maintenance.Material"
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"mat{n}")
    name = factory.Sequence(lambda n: f"材料{n}")
    name_en = factory.Sequence(lambda n: f"Material {n}")
    unit = "个"
    unit_en = "pc"
    unit_cost = "12.50"


def stock(storeroom, material=None, *, balance=0, low_at=0, by=None):
    """A material in a storeroom with `balance` on hand, received through the ledger (so the
    balance is the sum of its movements, as always)."""
    from decimal import Decimal

    from maintenance.models import Stock, StockMovement

    material = material or MaterialFactory()
    row = Stock.objects.create(storeroom=storeroom, material=material, low_at=low_at)
    if balance:
        StockMovement.objects.create(
            stock=row,
            kind=StockMovement.Kind.RECEIPT,
            quantity=Decimal(str(balance)),
            unit_cost=material.unit_cost,
            by=by or UserFactory(),
        )
        Stock.objects.filter(pk=row.pk).update(balance=Decimal(str(balance)))
        row.refresh_from_db()
    return row
