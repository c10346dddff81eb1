"""SNMPv3 (USM, authPriv) against snmpsim configured with one v3 user.

snmpsim picks the recording by SNMPv3 context name, as it does by community with v2c, so
the URLs carry ``context=<recording>``; a real printer uses the empty default context.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from remotecare.agent.config import AgentSettings
from remotecare.agent.poller import poll_once, printer_targets, public_address
from remotecare.agent.probes.reader import read_printer
from remotecare.agent.probes.snmp import (
    SnmpTarget,
    UsmKeys,
    parse_printer_url,
    usm_users,
)
from remotecare.demo.snmpsim import SnmpSimulator, SnmpV3User, running_snmpsim
from remotecare.errors import ConfigError, SnmpAuthError
from tests.support.recordings import EXPECTED

pytestmark = pytest.mark.timeout(60)
on_module_loop = pytest.mark.asyncio(loop_scope="module")

USER = "monitor"
AUTH_KEY = "auth-Secret-1"
PRIV_KEY = "priv-Secret-2"
RECORDING = "ricoh_aficio-mp-c3002"
# Generous: a loaded CI machine answers slowly, and a refusal is told from a timeout by its
# error (SnmpAuthError comes only from the printer's USM report), never by the clock.
TIMEOUT_S = 5.0


@pytest.fixture(scope="module")
def v3_simulator(recordings: Path) -> Iterator[SnmpSimulator]:
    user = SnmpV3User(USER, AUTH_KEY, PRIV_KEY, auth_proto="SHA", priv_proto="AES")
    with running_snmpsim(recordings, probe_community=RECORDING, v3_user=user) as simulator:
        yield simulator


def url(simulator: SnmpSimulator, query: str = "auth=sha&priv=aes") -> str:
    return f"snmpv3://{USER}@{simulator.host}:{simulator.port}?{query}&context={RECORDING}"


def keys(auth: str = AUTH_KEY, priv: str = PRIV_KEY) -> dict[str, UsmKeys]:
    return usm_users({USER: {"auth_key": auth, "priv_key": priv}})


@on_module_loop
async def test_reads_a_printer_over_snmpv3_auth_priv_as_over_v2c(
    v3_simulator: SnmpSimulator,
) -> None:
    v3 = await read_printer(parse_printer_url(url(v3_simulator), keys()), timeout_s=TIMEOUT_S)
    v2c = await read_printer(
        parse_printer_url(v3_simulator.url(RECORDING)), timeout_s=TIMEOUT_S, retries=0
    )
    assert v3.serial == EXPECTED[RECORDING].serial
    assert v3 == v2c


@on_module_loop
@pytest.mark.parametrize(
    ("query", "user_keys"),
    [
        ("auth=sha&priv=aes", keys(auth="wrong-auth-key")),
        ("auth=sha&priv=aes", keys(priv="wrong-priv-key")),
        ("auth=sha256&priv=aes", keys()),  # the printer's user is SHA-1
        ("auth=sha&priv=none", keys()),  # the printer's user requires privacy
    ],
)
async def test_wrong_credentials_fail_at_once_with_a_clear_error_that_shows_no_key(
    v3_simulator: SnmpSimulator, query: str, user_keys: dict[str, UsmKeys]
) -> None:
    target = parse_printer_url(url(v3_simulator, query), user_keys)
    # A timeout would raise ProbeTimeout: SnmpAuthError means the printer answered.
    with pytest.raises(SnmpAuthError, match="refused SNMPv3 user 'monitor'") as caught:
        await read_printer(target, timeout_s=TIMEOUT_S, retries=1)
    message = str(caught.value)
    assert "check the user, auth/priv protocols and keys" in message
    assert all(secret not in message for secret in ("wrong-", AUTH_KEY, PRIV_KEY))


@on_module_loop
async def test_an_unknown_user_is_refused_clearly(v3_simulator: SnmpSimulator) -> None:
    other = url(v3_simulator).replace(f"{USER}@", "nobody@")
    target = parse_printer_url(other, {"nobody": UsmKeys(AUTH_KEY, PRIV_KEY)})
    with pytest.raises(SnmpAuthError, match="'nobody'"):
        await read_printer(target, timeout_s=TIMEOUT_S, retries=0)


@on_module_loop
async def test_the_poller_reads_v3_printers_with_keys_from_the_settings(
    v3_simulator: SnmpSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REMOTECARE_TEST_PRIV", PRIV_KEY)
    settings = AgentSettings(
        printers=(url(v3_simulator),),
        snmpv3={USER: {"auth_key": AUTH_KEY, "priv_key": "env:REMOTECARE_TEST_PRIV"}},
        snmp_timeout_seconds=TIMEOUT_S,
        snmp_retries=0,
    )
    [report] = await poll_once(settings)
    assert report.reading is not None
    assert report.reading.serial == EXPECTED[RECORDING].serial
    assert report.printer_address == f"snmp://127.0.0.1:{v3_simulator.port}"
    dumped = report.model_dump_json()
    assert all(secret not in dumped for secret in (USER, AUTH_KEY, PRIV_KEY))


# --- addresses and keys (no network) -----------------------------------------------------------


def test_the_url_names_user_and_protocols_and_never_holds_keys() -> None:
    target = parse_printer_url("snmpv3://monitor@192.0.2.10:1161?auth=SHA&priv=aes256", keys())
    assert (target.host, target.port, target.version) == ("192.0.2.10", 1161, "3")
    assert target.usm is not None
    assert (target.usm.user, target.usm.auth, target.usm.priv) == ("monitor", "sha", "aes256")
    shown = repr(target) + repr(target.usm)
    assert AUTH_KEY not in shown
    assert PRIV_KEY not in shown
    assert public_address(target) == "snmp://192.0.2.10:1161"


@pytest.mark.parametrize(
    ("address", "complaint"),
    [
        ("snmpv3://monitor@192.0.2.10", "needs auth= and priv="),
        ("snmpv3://monitor@192.0.2.10?auth=sha", "needs auth= and priv="),
        ("snmpv3://monitor@192.0.2.10?auth=sha&priv=aes&auth_key=SeCrEt-123", "only auth="),
        ("snmpv3://monitor@192.0.2.10?auth=sha1&priv=aes", "auth='sha1' is not one of"),
        ("snmpv3://monitor@192.0.2.10?auth=sha&priv=rot13", "priv='rot13' is not one of"),
        ("snmpv3://stranger@192.0.2.10?auth=sha&priv=aes", r"\[snmpv3\.stranger\]"),
        ("snmpv3://192.0.2.10?auth=sha&priv=aes", "no community or user"),
    ],
)
def test_refuses_bad_v3_addresses_without_showing_keys(address: str, complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint) as caught:
        parse_printer_url(address, keys())
    assert "SeCrEt" not in str(caught.value)


def test_keys_shorter_than_eight_characters_are_refused() -> None:
    with pytest.raises(ConfigError, match="auth_key needs at least 8"):
        parse_printer_url("snmpv3://monitor@192.0.2.10?auth=sha&priv=aes", keys(auth="short"))
    with pytest.raises(ConfigError, match="priv_key of at least 8"):
        parse_printer_url("snmpv3://monitor@192.0.2.10?auth=sha&priv=aes", keys(priv=""))


def test_keys_may_be_read_from_the_environment_or_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRINTER_AUTH", AUTH_KEY)
    secret = tmp_path / "priv.key"
    secret.write_text(PRIV_KEY + "\n")
    users = usm_users({USER: {"auth_key": "env:PRINTER_AUTH", "priv_key": f"file:{secret}"}})
    assert users[USER] == UsmKeys(AUTH_KEY, PRIV_KEY)
    with pytest.raises(ConfigError, match="PRINTER_MISSING is not set"):
        usm_users({USER: {"auth_key": "env:PRINTER_MISSING"}})
    with pytest.raises(ConfigError, match="cannot read"):
        usm_users({USER: {"auth_key": f"file:{tmp_path / 'none'}"}})
    with pytest.raises(ConfigError, match="unknown settings"):
        usm_users({USER: {"auth_key": AUTH_KEY, "authkey": AUTH_KEY}})


def test_agent_toml_holds_the_keys_in_snmpv3_tables(tmp_path: Path) -> None:
    config = tmp_path / "agent.toml"
    config.write_text(
        'printers = ["snmpv3://monitor@192.0.2.10?auth=sha&priv=aes"]\n'
        "[snmpv3.monitor]\n"
        f'auth_key = "{AUTH_KEY}"\n'
        f'priv_key = "{PRIV_KEY}"\n'
    )
    settings = AgentSettings.load(config)
    assert AUTH_KEY not in repr(settings)
    [target] = printer_targets(settings)
    assert isinstance(target, SnmpTarget)
    assert target.usm is not None
    assert target.usm.keys == UsmKeys(AUTH_KEY, PRIV_KEY)


def test_one_user_name_with_two_protocol_pairs_is_refused() -> None:
    settings = AgentSettings(
        printers=(
            "snmpv3://monitor@192.0.2.10?auth=sha&priv=aes",
            "snmpv3://monitor@192.0.2.11?auth=md5&priv=des",
        ),
        snmpv3={USER: {"auth_key": AUTH_KEY, "priv_key": PRIV_KEY}},
    )
    with pytest.raises(ConfigError, match="one pair per user name"):
        printer_targets(settings)
