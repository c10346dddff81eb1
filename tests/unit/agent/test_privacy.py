"""The agent's pseudonymization of personal data (terms, article 5(2))."""

from __future__ import annotations

import re
import stat
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from remotecare.agent.privacy import (
    Pseudonymizer,
    create_key_file,
    install_key,
    load_or_create_key,
)
from remotecare.errors import ConfigError
from remotecare.protocol.messages import (
    Alert,
    DeviceStatus,
    PrinterReading,
    Report,
    SerialSource,
    Supply,
    SupplyClass,
    SupplyState,
    Tray,
)

KEY = bytes(range(32))
PSEUDONYM = re.compile(r"pseud:[0-9a-f]{16}")


@pytest.fixture
def privacy() -> Pseudonymizer:
    return Pseudonymizer(KEY)


def test_the_same_value_always_gets_the_same_pseudonym(privacy: Pseudonymizer) -> None:
    assert privacy.pseudonym("anna@example.com") == privacy.pseudonym("Anna@Example.com ")
    assert PSEUDONYM.fullmatch(privacy.pseudonym("anna@example.com"))


def test_another_key_gives_other_pseudonyms(privacy: Pseudonymizer) -> None:
    other = Pseudonymizer(bytes(32))
    assert privacy.pseudonym("anna") != other.pseudonym("anna")


def test_a_pseudonym_is_not_pseudonymized_again(privacy: Pseudonymizer) -> None:
    once = privacy.text("mail to anna@example.com")
    assert privacy.text(once) == once


@pytest.mark.parametrize(
    "text",
    [
        "Scan to E-mail failed: anna.berg@example.com",
        "mailbox full for a_b+c@mail.example.co.uk",
    ],
)
def test_email_addresses_are_pseudonymized(privacy: Pseudonymizer, text: str) -> None:
    out = privacy.text(text)
    assert "@" not in out
    assert PSEUDONYM.search(out)


def test_unc_paths_are_pseudonymized_whole(privacy: Pseudonymizer) -> None:
    out = privacy.text(r"Scan to folder \\FS01\scans\anna.berg failed")
    assert out.startswith("Scan to folder pseud:")
    assert out.endswith(" failed")
    assert "FS01" not in out
    assert "anna" not in out


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("User: anna job 12 cancelled", "anna"),
        ("username=jdoe", "jdoe"),
        ("Job owner: CORP\\jdoe", "jdoe"),
        ("Printed by mmeier at 10:00", "mmeier"),
        ("Account = 4711", "4711"),
    ],
)
def test_user_names_after_a_label_are_pseudonymized(
    privacy: Pseudonymizer, text: str, name: str
) -> None:
    out = privacy.text(text)
    assert name not in out
    assert PSEUDONYM.search(out)


@pytest.mark.parametrize(
    "text",
    [
        "User intervention required",
        "Login failed",
        "Black Toner HP CF217A",
        "Firmware V4.10.IT",
        "Machine needs service",
        "Waste Toner Box",
        "Black Ink Supply Unit T9441/T9451/T9461",
    ],
)
def test_printer_texts_without_personal_data_stay_as_they_are(
    privacy: Pseudonymizer, text: str
) -> None:
    assert privacy.text(text) == text


def test_host_names_are_pseudonymized_but_ip_addresses_stay(privacy: Pseudonymizer) -> None:
    assert "PC-ANNA" not in privacy.text("Job from host: PC-ANNA")
    assert privacy.text("client: 10.0.0.5") == "client: 10.0.0.5"
    out = privacy.text("cannot reach smtp.corp.example.com:25")
    assert "example" not in out
    assert out.endswith(":25")


def test_a_printer_address_keeps_ip_literals_and_hides_names(privacy: Pseudonymizer) -> None:
    assert privacy.address("snmp://192.0.2.7:161") == "snmp://192.0.2.7:161"
    assert privacy.address("snmp://[::1]:1161") == "snmp://[::1]:1161"
    hidden = privacy.address("snmp://anna-printer.corp.example:161")
    assert hidden == f"snmp://{privacy.pseudonym('anna-printer.corp.example')}:161"


def _reading(text: str) -> PrinterReading:
    return PrinterReading(
        serial="X1",
        serial_source=SerialSource.PRINTER_MIB,
        model="ACME 1000",
        status=DeviceStatus(device_status="running"),
        supplies=[
            Supply(
                index=1,
                description=text,
                type="toner",
                supply_class=SupplyClass.CONSUMED,
                state=SupplyState.OK,
            )
        ],
        trays=[Tray(index=1, name=text, media=text, state=SupplyState.OK)],
        alerts=[
            Alert(index=1, severity="warning", group="generalPrinter", code="x", description=text)
        ],
        partial_reason=text,
    )


def test_every_free_text_field_of_a_report_is_filtered(privacy: Pseudonymizer) -> None:
    text = "ask anna@example.com"
    report = Report(
        report_id=uuid.uuid4(),
        agent_time=datetime.now(UTC),
        printer_address="snmp://printer.corp.example.com:161",
        reading=_reading(text),
    )
    safe = privacy.report(report)
    dumped = safe.model_dump_json()
    assert "anna" not in dumped
    assert "corp.example" not in dumped
    assert safe.reading is not None
    assert safe.reading.serial == "X1"  # identity of the machine is not personal data
    Report.model_validate_json(dumped)  # still a valid wire message


def test_a_longer_text_after_pseudonymizing_still_fits_the_wire_contract(
    privacy: Pseudonymizer,
) -> None:
    text = " ".join(["a@b.cd"] * 36)  # 251 characters, each address becomes 22
    report = Report(
        report_id=uuid.uuid4(),
        agent_time=datetime.now(UTC),
        printer_address="snmp://192.0.2.1:161",
        unreachable_reason=text,
    )
    safe = privacy.report(report)
    assert safe.unreachable_reason is not None
    assert len(safe.unreachable_reason) <= 256
    Report.model_validate_json(safe.model_dump_json())


def test_the_key_is_made_once_private_and_then_reused(tmp_path: Path) -> None:
    path = tmp_path / "privacy.key"
    key = load_or_create_key(path)
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(path) == key


def test_the_key_is_never_shown(privacy: Pseudonymizer) -> None:
    assert KEY.hex() not in repr(privacy)


def test_agents_enrolled_with_one_customer_key_give_the_same_pseudonyms(tmp_path: Path) -> None:
    customer_key = tmp_path / "acme.key"
    create_key_file(customer_key)
    assert stat.S_IMODE(customer_key.stat().st_mode) == 0o600
    install_key(customer_key, tmp_path / "site-a.key")
    install_key(customer_key, tmp_path / "site-b.key")
    site_a = Pseudonymizer(load_or_create_key(tmp_path / "site-a.key"))
    site_b = Pseudonymizer(load_or_create_key(tmp_path / "site-b.key"))
    own = Pseudonymizer(load_or_create_key(tmp_path / "site-c.key"))
    text = "job of alice@example.com"
    assert site_a.text(text) == site_b.text(text) != own.text(text)


def test_a_customer_key_is_never_overwritten(tmp_path: Path) -> None:
    create_key_file(tmp_path / "acme.key")
    with pytest.raises(ConfigError, match="refusing to overwrite"):
        create_key_file(tmp_path / "acme.key")
    (tmp_path / "short.key").write_bytes(b"too short")
    with pytest.raises(ConfigError, match="not a pseudonymization key"):
        install_key(tmp_path / "short.key", tmp_path / "site.key")
