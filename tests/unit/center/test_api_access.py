"""API routes admit an integration's token with the route's scope, and nobody else."""

from __future__ import annotations

import pytest

from remotecare.center.access.api_tokens import TOKEN_PREFIX, looks_like_token
from remotecare.center.access.rules import (
    CONSOLE_USERS,
    Actor,
    ApiScope,
    Role,
    api_clients,
)
from remotecare.center.kernel.secrets import new_token

_READ_METERS = api_clients(ApiScope.METERS_READ)


def test_an_integration_passes_only_with_the_routes_scope() -> None:
    billing = Actor.integration("token 1", [7], [ApiScope.METERS_READ])
    orders = Actor.integration("token 2", [7], [ApiScope.ORDERS_READ, ApiScope.ORDERS_WRITE])
    assert _READ_METERS.allows(billing)
    assert not _READ_METERS.allows(orders)
    assert _READ_METERS.is_api
    assert not CONSOLE_USERS.is_api


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.INTEGRATION])
def test_people_devices_and_anonymous_never_pass_an_api_rule(role: Role) -> None:
    actor = Actor("someone", role, None, scopes=frozenset(ApiScope))
    assert not _READ_METERS.allows(actor)


def test_an_integration_is_no_console_user() -> None:
    assert not CONSOLE_USERS.allows(Actor.integration("token 1", None, list(ApiScope)))


def test_a_token_for_every_customer_sees_every_customer() -> None:
    assert Actor.integration("t", None, []).sees_every_customer
    scoped = Actor.integration("t", [7], [])
    assert scoped.may_see(7)
    assert not scoped.may_see(8)


@pytest.mark.parametrize(
    "presented",
    ["", "rct_", new_token(), TOKEN_PREFIX + new_token()[:-1], TOKEN_PREFIX + "!" * 43,
     TOKEN_PREFIX + new_token() + "x", "RCT_" + new_token()],
    # Named, not shown: the random tokens would give each pytest-xdist worker other test ids.
    ids=["empty", "prefix-only", "no-prefix", "one-short", "not-base64", "one-long",
         "upper-prefix"],
)  # fmt: skip
def test_only_the_shape_of_a_token_reaches_the_database(presented: str) -> None:
    assert not looks_like_token(presented)


def test_a_made_token_has_the_shape() -> None:
    assert looks_like_token(TOKEN_PREFIX + new_token())
