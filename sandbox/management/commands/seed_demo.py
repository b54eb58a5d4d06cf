"""Seed demo data: customers, users of every role, and connections in every health status.

Idempotent: running it again updates the same rows instead of adding more. Each demo connection
reaches its status the way a real one would, through observations handed to
`monitoring.transitions` (so its status changes, issue and notices exist as if polled), and gets
a sandbox counterpart whose fault keeps real polling showing that status.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from connections.models import Connection, Customer, Role, User
from connections.systems import Environment, System
from health.vocabulary import HealthStatus, Outcome
from monitoring import transitions
from monitoring.models import ConnectionEvent, Source
from monitoring.transitions import Observation
from sandbox.demo import seed_counterparts

DEMO_PASSWORD = "patchbay-demo"  # noqa: S105 - documented demo login, seeded locally only

CUSTOMERS = [
    ("Acme Manufacturing", "acme", "ops@acme.example"),
    ("Borealis Energy", "borealis", "it@borealis.example"),
    ("Cobalt Logistics", "cobalt", "systems@cobalt.example"),
    ("Delta Foods", "delta", "erp@delta.example"),
]
CONNECTIONS_PER_CUSTOMER = 11
# What a connection must be seen doing to end in each status (error takes K failures in a row).
OUTCOMES_FOR_STATUS = {
    HealthStatus.HEALTHY: [Outcome.OK],
    HealthStatus.DEGRADED: [Outcome.UNREACHABLE],
    HealthStatus.REAUTH_REQUIRED: [Outcome.REAUTH],
    HealthStatus.DISCONNECTED: [Outcome.DISCONNECTED],
    HealthStatus.UNKNOWN: [],
}


def outcomes_for(status: str) -> list[Outcome]:
    if status == HealthStatus.ERROR:
        return [Outcome.UPSTREAM_ERROR] * max(1, settings.HEALTH_ERROR_AFTER_FAILURES)
    return OUTCOMES_FOR_STATUS[HealthStatus(status)]


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
        demo: list[tuple[Connection, str, int]] = []
        for customer in customers:
            for index in range(1, CONNECTIONS_PER_CUSTOMER + 1):
                system, environment, status = next(systems), next(environments), next(statuses)
                label = System(system).label
                connection, _ = Connection.objects.update_or_create(
                    upstream_id=f"conn_{customer.slug}_{index:02d}",
                    defaults={
                        "customer": customer,
                        "system": system,
                        "environment": environment,
                        "display_name": f"{customer.name.split()[0]} {label} #{index}",
                    },
                    create_defaults={
                        "customer": customer,
                        "system": system,
                        "environment": environment,
                        "display_name": f"{customer.name.split()[0]} {label} #{index}",
                        "created_at": now - timedelta(days=1),
                        "status_changed_at": now - timedelta(days=1),
                    },
                )
                demo.append((connection, status, index))
        seed_counterparts([(connection, status) for connection, status, _ in demo])
        self._seed_history(demo, now)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(customers)} customers, {len(demo)} connections."
            )
        )
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        self.stdout.write("  admin            platform admin")
        self.stdout.write("  support          support staff")
        for customer in customers:
            self.stdout.write(f"  {customer.slug + '-member':<16} member of {customer.name}")

    def _seed_history(self, demo: list[tuple[Connection, str, int]], now) -> None:
        """Connections seen for the first time are observed into their status, as if polled
        minutes apart; once only, so a second run adds nothing."""
        with_history = set(
            ConnectionEvent.objects.filter(
                connection__in=[connection for connection, _, _ in demo]
            ).values_list("connection_id", flat=True)
        )
        observations = []
        for connection, status, index in demo:
            if connection.pk in with_history:
                continue
            outcomes = outcomes_for(status)
            started = now - timedelta(minutes=7 * index)
            observations += [
                Observation(
                    connection_id=connection.pk,
                    outcome=outcome,
                    reason=f"Demo data: {Outcome(outcome).label}",
                    at=started + timedelta(seconds=step),
                )
                for step, outcome in enumerate(outcomes)
            ]
        transitions.record(
            sorted(observations, key=lambda observation: observation.at), source=Source.POLL
        )

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
