from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    name = "connections"
    verbose_name = "Customers and connections"

    def ready(self) -> None:
        from connections import (
            lookups,  # noqa: F401 - registers `__any_of` on every field
            two_factor,  # noqa: F401 - clears axes failures after sign-in
        )
