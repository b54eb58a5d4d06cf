"""Factories for the domain objects; tokens get fresh random secrets, never fixed strings."""

import secrets

import factory
from factory.django import DjangoModelFactory

from connections.models import ApiToken, Connection, Customer, Role, User
from connections.systems import Environment, System
from health.vocabulary import HealthStatus


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = Customer
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Customer {n}")
    slug = factory.Sequence(lambda n: f"customer-{n}")
    contact_email = factory.LazyAttribute(lambda o: f"ops@{o.slug}.example")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    role = Role.MEMBER
    customer = factory.SubFactory(CustomerFactory)
    password = factory.django.Password("correct-horse-battery")

    class Params:
        admin = factory.Trait(role=Role.ADMIN, customer=None)
        support = factory.Trait(role=Role.SUPPORT, customer=None)


class ConnectionFactory(DjangoModelFactory):
    class Meta:
        model = Connection

    customer = factory.SubFactory(CustomerFactory)
    system = System.SAP_S4HANA
    environment = Environment.PRODUCTION
    upstream_id = factory.Sequence(lambda n: f"conn_test_{n:05d}")
    display_name = factory.Sequence(lambda n: f"Plant {n} ERP")
    health_status = HealthStatus.HEALTHY


def new_token_plaintext() -> str:
    return f"pbt_{secrets.token_urlsafe(24)}"


class ApiTokenFactory(DjangoModelFactory):
    class Meta:
        model = ApiToken

    connection = factory.SubFactory(ConnectionFactory)
    environment = factory.SelfAttribute("connection.environment")
    label = "primary"
    plaintext = factory.LazyFunction(new_token_plaintext)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        plaintext = kwargs.pop("plaintext")
        token = model_class(*args, **kwargs)
        token.set_plaintext(plaintext)
        token.save()
        return token


def linked_connection(customer=None, fault: str = "healthy", **sandbox_fields):
    """A Patchbay connection with its sandbox counterpart and an encrypted token it honours.

    The plaintext lives only in this function's memory: the sandbox keeps its hash, Patchbay
    its ciphertext.
    """
    from sandbox.models import SandboxConnection

    connection = ConnectionFactory(**({"customer": customer} if customer else {}))
    upstream = SandboxConnection.objects.create(
        upstream_id=connection.upstream_id, system=connection.system, fault=fault, **sandbox_fields
    )
    issued, plaintext = upstream.issue_token("primary")
    ApiTokenFactory(connection=connection, plaintext=plaintext, upstream_token_id=issued.token_id)
    return connection
