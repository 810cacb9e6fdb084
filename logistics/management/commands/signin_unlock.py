from axes.utils import reset as axes_reset
from django.core.management.base import BaseCommand

from logistics.signin import signin_unlock


class Command(BaseCommand):
    help = (
        "Let these usernames sign in again now: lift the per-account lock and forget their "
        "failed sign-ins, from every address (django-axes' per-address lockouts too)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="+")

    def handle(self, *args, **options):
        usernames = options["username"]
        guards = signin_unlock(usernames=usernames)
        attempts = sum(axes_reset(username=username) for username in usernames)
        self.stdout.write(
            f"{guards} account locks lifted, {attempts} per-address attempt records removed."
        )
