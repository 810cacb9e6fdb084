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
