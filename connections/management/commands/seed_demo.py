"""Seed demo data: customers, users of every role, and connections in every health status.

Idempotent: running it again updates the same rows instead of adding more.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from connections.models import Connection, Customer, Role, User
from connections.systems import Environment, HealthStatus, System

DEMO_PASSWORD = "patchbay-demo"  # noqa: S105 - documented demo login, seeded locally only

CUSTOMERS = [
    ("Acme Manufacturing", "acme", "ops@acme.example"),
    ("Borealis Energy", "borealis", "it@borealis.example"),
    ("Cobalt Logistics", "cobalt", "systems@cobalt.example"),
    ("Delta Foods", "delta", "erp@delta.example"),
]
CONNECTIONS_PER_CUSTOMER = 11


class Command(BaseCommand):
    help = "Create or refresh the demo customers, users and connections (safe to run again)."

    @transaction.atomic
    def handle(self, *args, **options):
        customers = [
            Customer.objects.update_or_create(
                slug=slug, defaults={"name": name, "contact_email": email}
            )[0]
            for name, slug, email in CUSTOMERS
        ]
        self._user("admin", Role.ADMIN, None)
        self._user("support", Role.SUPPORT, None)
        for customer in customers:
            self._user(f"{customer.slug}-member", Role.MEMBER, customer)

        systems = itertools.cycle(System.values)
        environments = itertools.cycle(Environment.values)
        statuses = itertools.cycle(HealthStatus.values)
        now = timezone.now()
        count = 0
        for customer in customers:
            for index in range(1, CONNECTIONS_PER_CUSTOMER + 1):
                system, environment, status = next(systems), next(environments), next(statuses)
                label = System(system).label
                Connection.objects.update_or_create(
                    upstream_id=f"conn_{customer.slug}_{index:02d}",
                    defaults={
                        "customer": customer,
                        "system": system,
                        "environment": environment,
                        "display_name": f"{customer.name.split()[0]} {label} #{index}",
                        "health_status": status,
                        "status_changed_at": now - timedelta(minutes=7 * index),
                        "last_checked_at": now - timedelta(seconds=30 + index),
                        "last_success_at": (
                            now if status == HealthStatus.HEALTHY else now - timedelta(hours=index)
                        ),
                        "consecutive_failures": 0 if status == HealthStatus.HEALTHY else index % 4,
                    },
                )
                count += 1
        from sandbox.demo import seed_counterparts

        demo_connections = Connection.objects.filter(customer__in=customers).order_by("pk")
        seed_counterparts(demo_connections)
        self._seed_episodes(demo_connections)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready: {len(customers)} customers, {count} connections.")
        )
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        self.stdout.write("  admin            platform admin")
        self.stdout.write("  support          support staff")
        for customer in customers:
            self.stdout.write(f"  {customer.slug + '-member':<16} member of {customer.name}")

    def _seed_episodes(self, connections) -> None:
        """Each seeded unhealthy connection gets the transition that made it so (and with it
        its problem in the issues queue), as if the poller had seen it; once only."""
        from monitoring import problems
        from monitoring.models import ConnectionEvent, Source

        with_history = set(
            ConnectionEvent.objects.filter(connection__in=connections).values_list(
                "connection_id", flat=True
            )
        )
        events = ConnectionEvent.objects.bulk_create(
            [
                ConnectionEvent(
                    connection=connection,
                    created_at=connection.status_changed_at,
                    from_status=HealthStatus.HEALTHY,
                    to_status=connection.health_status,
                    reason="Demo data: seeded in this status",
                    source=Source.POLL,
                )
                for connection in connections
                if connection.pk not in with_history
                and connection.health_status not in (HealthStatus.HEALTHY, HealthStatus.UNKNOWN)
            ]
        )
        problems.record(events)

    def _user(self, username: str, role: str, customer: Customer | None) -> User:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"role": role, "customer": customer, "email": f"{username}@patchbay.example"},
        )
        user.role, user.customer = role, customer
        if created or not user.has_usable_password():
            user.set_password(DEMO_PASSWORD)
        user.save()
        return user
