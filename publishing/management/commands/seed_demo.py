"""``python manage.py seed_demo``: the demo accounts, connections and items.

It lives in publishing, the top app, because it seeds every app (accounts, then integrations, then publishing).
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.demo import seed_accounts
from accounts.models import Business
from integrations.demo import seed_connections
from publishing.demo import seed_items
from publishing.demo_month_end import seed_month_end_clients
from publishing.demo_published import seed_published_examples


class Command(BaseCommand):
    help = "Load the demo practice, businesses and users (idempotent). Password: dext-demo-pass."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when any business exists.")

    def handle(self, *args, if_empty=False, **options):
        if if_empty and Business.objects.exists():
            self.stdout.write("Demo data not loaded: the database already has businesses.")
            return
        with transaction.atomic():
            # Every app's seeder, in dependency order.
            for seeder in (
                seed_accounts,
                seed_connections,
                seed_items,
                seed_published_examples,
                seed_month_end_clients,
            ):
                seeder()
        self.stdout.write(
            self.style.SUCCESS(
                "Demo data loaded. Sign in as admin@acme.test / dext-demo-pass"
                " (practice.admin@northwind.test for the month-end page)."
            )
        )
