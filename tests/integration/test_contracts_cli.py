"""`remotecare center contracts ...`: an operator enters, decides, changes and ends
contracts from the command line; refusals exit with 1, say why and change nothing."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import func, select

from remotecare.center.cli import center as center_cli
from remotecare.center.contracts.tables import applications, customers
from tests.support.centers import init_center
from tests.support.contracts import sample_application


def _run(*args: str) -> Result:
    return CliRunner().invoke(center_cli, list(args))


def test_an_application_goes_from_file_to_termination(tmp_path: Path, database_url: str) -> None:
    info = init_center(tmp_path / "center", database_url)
    home = str(info.settings.home)
    application = tmp_path / "application.json"
    application.write_text(json.dumps(sample_application("Acme Ltd")))

    refused = _run("token", "create", "--home", home, "--customer", "Acme Ltd")
    assert refused.exit_code == 1
    assert "application must be accepted first" in refused.output

    applied = _run("contracts", "apply", "--home", home, "--file", str(application))
    assert applied.exit_code == 0, applied.output
    assert applied.output.startswith("application 1 submitted")
    again = _run("contracts", "apply", "--home", home, "--file", str(application))
    assert again.exit_code == 1
    assert "duplicate organisation" in again.output

    accepted = _run("contracts", "accept", "--home", home, "1")
    assert accepted.exit_code == 0, accepted.output
    assert "customer 1 is active" in accepted.output
    assert _run("token", "create", "--home", home, "--customer", "Acme Ltd").exit_code == 0

    changed = _run(
        "contracts", "change", "--home", home, "Acme Ltd", "--services", "meters,supplies",
        "--news", "yes",
    )  # fmt: skip
    assert changed.exit_code == 0, changed.output
    assert "services meters, supplies" in changed.output
    assert "news yes" in changed.output

    listed = _run("contracts", "list", "--home", home, "--json")
    assert [json.loads(line)["status"] for line in listed.output.splitlines()] == ["accepted"]

    today = date.today().isoformat()
    ended = _run(
        "contracts", "terminate", "--home", home, "Acme Ltd", "--date", today,
        "--reason", "moved away",
    )  # fmt: skip
    assert ended.exit_code == 0, ended.output
    assert "service terminated" in ended.output
    assert "0 endpoint(s) revoked" in ended.output
    twice = _run(
        "contracts", "terminate", "--home", home, "Acme Ltd", "--date", today, "--reason", "x"
    )
    assert twice.exit_code == 1
    assert "already terminated" in twice.output


def test_bad_files_and_decisions_are_refused_with_nothing_changed(
    tmp_path: Path, database_url: str
) -> None:
    info = init_center(tmp_path / "center", database_url)
    home = str(info.settings.home)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    incomplete = tmp_path / "incomplete.json"
    incomplete.write_text(json.dumps({"organisation": "Acme Ltd"}))

    not_json = _run("contracts", "apply", "--home", home, "--file", str(broken))
    assert not_json.exit_code == 1
    assert "is not JSON" in not_json.output
    missing = _run("contracts", "apply", "--home", home, "--file", str(incomplete))
    assert missing.exit_code == 1
    assert "sites must list at least one" in missing.output
    assert "consents_to_news must be an explicit true or false" in missing.output
    no_reason = _run("contracts", "reject", "--home", home, "7", "--reason", " ")
    assert no_reason.exit_code == 1
    assert "unknown application 7" in no_reason.output
    bad_services = _run("contracts", "change", "--home", home, "Acme Ltd", "--services", "tea")
    assert bad_services.exit_code == 1
    assert "'tea' is not one of" in bad_services.output

    engine = info.read_engine()
    try:
        with engine.connect() as conn:
            for table in (applications, customers):
                assert conn.execute(select(func.count()).select_from(table)).scalar_one() == 0
    finally:
        engine.dispose()
