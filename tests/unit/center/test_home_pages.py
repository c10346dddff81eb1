"""Each role's home page, said in one place (``access.pages.home_page``)."""

from __future__ import annotations

import pytest

from remotecare.center.access.pages import home_page
from remotecare.center.access.rules import Role


@pytest.mark.parametrize(
    ("role", "home"),
    [
        (Role.OPERATOR_ADMIN, "/overview"),
        (Role.OPERATOR_STAFF, "/overview"),
        (Role.AFFILIATE, "/overview"),
        (Role.SUBCONTRACTOR, "/incidents"),
        (Role.CUSTOMER_ADMIN, "/overview"),
        (Role.CUSTOMER_USER, "/overview"),
        (Role.ANONYMOUS, "/login"),
        (Role.DEVICE, "/login"),
        (Role.INTEGRATION, "/login"),
    ],
)
def test_each_role_has_its_home(role: Role, home: str) -> None:
    assert home_page(role) == home
