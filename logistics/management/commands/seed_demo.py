from django.core.management.base import BaseCommand

from logistics.demo import seed_all


class Command(BaseCommand):
    help = (
        "Load the demo university (campuses, buildings, residents, staff of every role). "
        "Running it twice changes nothing."
    )

    def handle(self, *args, **options):
        seed_all(lambda line: self.stdout.write(line))
        self.stdout.write(self.style.SUCCESS("Demo university ready."))
