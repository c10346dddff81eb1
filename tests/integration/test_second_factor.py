"""Console logins with a TOTP second factor, on both database backends: set up from the
command line as an administrator would, asked for at every login, each code once; an
operator without one is refused where the center requires it; old password hashes are
upgraded at login."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pyotp
import pytest
from sqlalchemy import select, update

from remotecare.center.access.rules import Role
from remotecare.center.access.service import LoginRefusal
from remotecare.center.access.tables import users
from remotecare.center.bootstrap import Center, bootstrap
from tests.support.centers import (
    OPERATOR_PASSWORD,
    CenterInfo,
    center_command,
    init_center,
    running_center,
)
from tests.support.clock import FakeClock
from tests.support.console_login import form_token
from tests.support.contracts import accept_customer

T0 = datetime(2026, 12, 4, 9, 0, 0, tzinfo=UTC)


@pytest.fixture
def info(tmp_path: Path, database_url: str) -> CenterInfo:
    return init_center(tmp_path / "center", database_url)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def center(info: CenterInfo, clock: FakeClock) -> Iterator[Center]:
    wired = bootstrap(info.settings, clock=clock)
    try:
        yield wired
    finally:
        wired.dispose()


def _login(
    center: Center, name: str, password: str, code: str | None = None
) -> LoginRefusal | None:
    with center.transactions.begin() as conn:
        outcome = center.accounts.authenticate(conn, name, password, code)
    assert (outcome.token is None) == (outcome.refusal is not None)
    return outcome.refusal


def _set_up_totp(info: CenterInfo, name: str, clock: FakeClock) -> pyotp.TOTP:
    """`center users totp NAME`, then `--confirm` with a code from the printed secret."""
    home = str(info.settings.home)
    printed = center_command("users", "totp", "--home", home, name).stdout
    secret = printed.split("(shown once): ")[1].split()[0]
    assert "otpauth://totp/" in printed
    app = pyotp.TOTP(secret)
    code = app.now()  # the command line runs on the real clock
    confirmed = center_command("users", "totp", "--home", home, name, "--confirm", code)
    assert "in force" in confirmed.stdout
    return app


def test_a_second_factor_is_asked_for_and_each_code_works_once(
    info: CenterInfo, center: Center, clock: FakeClock
) -> None:
    app = _set_up_totp(info, "operator", clock)
    clock.set(datetime.now(UTC) + timedelta(minutes=5))  # past the real confirmation
    assert _login(center, "operator", OPERATOR_PASSWORD) is LoginRefusal.CODE_NEEDED
    assert _login(center, "operator", OPERATOR_PASSWORD, "000000") in (
        LoginRefusal.WRONG_CODE,
        None,  # one chance in a million that 000000 is the code of now
    )
    code = app.at(clock.now())
    assert _login(center, "operator", "wrong password", code) is LoginRefusal.WRONG_CREDENTIALS
    assert _login(center, "operator", OPERATOR_PASSWORD, code) is None
    assert _login(center, "operator", OPERATOR_PASSWORD, code) is LoginRefusal.WRONG_CODE
    clock.advance(seconds=30)
    assert _login(center, "operator", OPERATOR_PASSWORD, app.at(clock.now())) is None
    listing = center_command("users", "list", "--home", str(info.settings.home)).stdout
    assert "operator  operator_admin  TOTP" in listing


def test_a_lost_phone_is_handled_by_removing_the_factor(
    info: CenterInfo, center: Center, clock: FakeClock
) -> None:
    _set_up_totp(info, "operator", clock)
    center_command("users", "totp-off", "--home", str(info.settings.home), "operator")
    assert _login(center, "operator", OPERATOR_PASSWORD) is None


def test_a_started_but_unconfirmed_factor_changes_nothing(info: CenterInfo, center: Center) -> None:
    center_command("users", "totp", "--home", str(info.settings.home), "operator")
    assert _login(center, "operator", OPERATOR_PASSWORD) is None
    wrong = center_command("users", "totp", "--home", str(info.settings.home), "operator",
        "--confirm", "12345x", check=False,
    )  # fmt: skip
    assert wrong.returncode != 0
    assert _login(center, "operator", OPERATOR_PASSWORD) is None


def test_operators_need_a_second_factor_where_the_center_requires_it(
    info: CenterInfo, clock: FakeClock
) -> None:
    settings = dataclasses.replace(info.settings, operators_need_totp=True)
    center = bootstrap(settings, clock=clock)
    try:
        customer = accept_customer(center, "Acme Ltd")
        with center.transactions.begin() as conn:
            center.accounts.create_user(
                conn, "hanako", "a customer password", Role.CUSTOMER_USER, customer
            )
        assert _login(center, "operator", OPERATOR_PASSWORD) is LoginRefusal.TOTP_REQUIRED
        assert _login(center, "hanako", "a customer password") is None  # not an operator
        app = _set_up_totp(info, "operator", clock)
        clock.set(datetime.now(UTC) + timedelta(minutes=2))  # past the real confirmation
        assert _login(center, "operator", OPERATOR_PASSWORD, app.at(clock.now())) is None
    finally:
        center.dispose()


def test_an_earlier_versions_password_hash_is_upgraded_at_login(
    info: CenterInfo, center: Center
) -> None:
    salt = bytes(range(16))
    digest = hashlib.scrypt(OPERATOR_PASSWORD.encode(), salt=salt, n=2**14, r=8, p=1)
    old = f"scrypt${2**14}$8$1${salt.hex()}${digest.hex()}"
    with center.transactions.begin() as conn:
        conn.execute(update(users).where(users.c.username == "operator").values(password_hash=old))
    assert _login(center, "operator", OPERATOR_PASSWORD) is None
    with center.transactions.read() as conn:
        stored = conn.execute(
            select(users.c.password_hash).where(users.c.username == "operator")
        ).scalar_one()
    assert stored.startswith("$argon2id$")
    assert _login(center, "operator", OPERATOR_PASSWORD) is None


def test_users_are_added_from_the_command_line_with_their_role(
    info: CenterInfo, center: Center, tmp_path: Path
) -> None:
    home = str(info.settings.home)
    accept_customer(center, "Acme Ltd")
    secret_file = tmp_path / "password"
    secret_file.write_text("a long enough password\n")
    secret_file.chmod(0o600)
    add = ["users", "add", "--home", home, "--password-file", str(secret_file)]
    center_command(*add, "taro", "--role", "customer_admin", "--customer", "Acme Ltd")
    center_command(*add, "staff1", "--role", "operator_staff")
    assert _login(center, "taro", "a long enough password") is None
    listing = center_command("users", "list", "--home", home).stdout
    assert "taro  customer_admin  Acme Ltd  password only" in listing
    for refused in (
        ["taro"],  # exists already
        ["jiro", "--role", "customer_user"],  # a customer's person without a customer
        ["jiro", "--role", "customer_user", "--customer", "No Such Co"],
        ["jiro", "--role", "device"],
    ):
        result = center_command(*add, *refused, check=False)
        assert result.returncode != 0, refused
    secret_file.write_text("short\n")
    assert center_command(*add, "jiro", check=False).returncode != 0
    with center.transactions.read() as conn:
        names = set(conn.execute(select(users.c.username)).scalars())
    assert names == {"operator", "taro", "staff1"}


async def test_the_console_login_asks_for_the_code(info: CenterInfo) -> None:
    """Over real TLS, on the center's real clock: the form takes the code beside the
    password; without it, or with a used one, the login is refused and says why."""
    five_minutes_ago = FakeClock(datetime.now(UTC) - timedelta(minutes=5))
    setting_up = bootstrap(info.settings, clock=five_minutes_ago)
    try:
        with setting_up.transactions.begin() as conn:
            secret = setting_up.accounts.start_totp(conn, "operator").secret
            app = pyotp.TOTP(secret)
            code_then = app.at(five_minutes_ago.now())
            assert setting_up.accounts.confirm_totp(conn, "operator", code_then)
    finally:
        setting_up.dispose()

    async def log_in(session: aiohttp.ClientSession, code: str | None) -> tuple[int, str]:
        form = {"username": "operator", "password": OPERATOR_PASSWORD}
        form["csrf_token"] = await form_token(session, info)
        if code is not None:
            form["code"] = code
        async with session.post(
            info.console_url + "/login",
            data=form,
            ssl=info.trusting_context(),
            allow_redirects=False,
        ) as response:
            return response.status, await response.text()

    async with running_center(info), aiohttp.ClientSession() as session:
        status, page = await log_in(session, None)
        assert status == 401
        assert "authenticator app" in page
        code = app.now()
        assert (await log_in(session, code))[0] == 303
        status, page = await log_in(session, code)
        assert status == 401
        assert "already used" in page
