"""Delivering the notification outbox to real receivers on loopback: e-mail through an
aiosmtpd server demanding STARTTLS (a certificate our CA issued) and a login; webhooks
to an HTTP receiver that verifies the Standard Webhooks signature, also across a secret
rotation; and every fault (SMTP refusing, hanging, dropping mid-message; a webhook
answering 500, hanging, redirecting) leaves the message for a retry without holding up
the other recipients, until a day of failures makes it a dead letter."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select

from remotecare.center.contracts.tables import customers
from remotecare.center.kernel.transactions import Transactions
from remotecare.center.notify.delivery import DeliveryLoop, DeliveryPacing
from remotecare.center.notify.rules import Audience, Channel, IncidentNotice
from remotecare.center.notify.senders import SmtpSettings
from remotecare.center.notify.service import (
    ROTATION_OVERLAP,
    SubscriptionRequest,
    add_subscription,
    dead_letters,
    enqueue,
    retry_dead,
    rotate_secret,
)
from remotecare.center.notify.tables import notify_outbox
from tests.support.ports import free_tcp_port
from tests.support.receivers import (
    SMTP_PASSWORD,
    SMTP_USER,
    HangingSmtp,
    LoopbackCa,
    issue_loopback_ca,
    smtp_server,
    webhook_receiver,
)
from tests.support.schema import migrated_engine

pytestmark = pytest.mark.timeout(120)
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PACING = DeliveryPacing(deadline_s=2.0, timeout_s=1.0)


class SteppedClock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = migrated_engine("", tmp_path / "center.db")
    with engine.begin() as conn:
        conn.execute(insert(customers).values(id=1, name="Acme", status="active", created_at=T0))
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LoopbackCa:
    return issue_loopback_ca(tmp_path_factory.mktemp("ca"))


def smtp_settings(ca: LoopbackCa, port: int, **changes: Any) -> SmtpSettings:
    settings = SmtpSettings(
        "127.0.0.1", port, "care@example.test", SMTP_USER, SMTP_PASSWORD, True, ca.ca_file, 1.0
    )
    return settings if not changes else SmtpSettings(**{**_fields(settings), **changes})


def _fields(settings: SmtpSettings) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in settings.__dataclass_fields__}


def notice(incident_id: int = 1, event: str = "opened") -> IncidentNotice:
    return IncidentNotice(
        incident_id=incident_id,
        event=event,
        customer_id=1,
        site="Acme",
        device="ACME ColorMFP 4500 (serial SER-1)",
        kind="paper_jam",
        titles={"en": "Paper jam", "ja": "紙詰まり"},
        severity="critical",
        responder="customer",
        detail="Paper jam in fuser area",
        cause={"cause": "Paper path obstruction", "part": "Feed rollers", "action": "Clear it"},
        at=T0,
    )


def subscribe(
    engine: Engine, name: str, channel: Channel, address: str, **fields: Any
) -> str | None:
    request = SubscriptionRequest(
        name, channel, address, fields.pop("audience", Audience.OPERATOR), **fields
    )
    with engine.begin() as conn:
        return add_subscription(conn, request, T0)[1]


def owe(engine: Engine, *notices: IncidentNotice, at: datetime = T0) -> None:
    with engine.begin() as conn:
        for item in notices:
            enqueue(conn, item, at)


def outbox(engine: Engine) -> dict[int, Any]:
    with engine.connect() as conn:
        return {row.subscription_id: row for row in conn.execute(select(notify_outbox))}


def delivery(engine: Engine, clock: SteppedClock, smtp: SmtpSettings | None = None) -> DeliveryLoop:
    return DeliveryLoop(Transactions(engine), clock, smtp, pacing=PACING)


async def test_email_arrives_over_starttls_with_a_login_in_the_recipients_language(
    engine: Engine, ca: LoopbackCa
) -> None:
    subscribe(engine, "ja-desk", Channel.EMAIL, "desk@example.test", language="ja")
    subscribe(engine, "en-desk", Channel.EMAIL, "ops@example.test", audience=Audience.CUSTOMER)
    owe(engine, notice())
    with smtp_server(ca) as inbox:
        loop = delivery(engine, SteppedClock(T0), smtp_settings(ca, inbox.port))
        assert await asyncio.to_thread(loop.deliver_once) == 2
    by_to = {m["To"]: m for m in inbox.messages}
    ja = by_to["desk@example.test"]
    assert ja["Subject"] == "【重大】紙詰まり: Acme ACME ColorMFP 4500 (serial SER-1)"
    assert "推定原因: Paper path obstruction" in ja.get_content()
    en = by_to["ops@example.test"]
    assert en["Subject"] == "[Critical] Paper jam: ACME ColorMFP 4500 (serial SER-1) at Acme"
    assert "Probable cause" not in en.get_content()  # a customer's message
    rows = outbox(engine)
    assert {row.status for row in rows.values()} == {"sent"}
    assert {m["Message-ID"] for m in inbox.messages} == {
        f"<{r.message_id}@remotecare>" for r in rows.values()
    }


async def test_a_webhook_is_signed_and_the_receiver_verifies_it(engine: Engine) -> None:
    secret = subscribe(engine, "hook", Channel.WEBHOOK, "http://placeholder/")
    assert secret is not None
    async with webhook_receiver(secret) as receiver:
        with engine.begin() as conn:
            from remotecare.center.notify.tables import notify_subscriptions

            conn.execute(notify_subscriptions.update().values(address=receiver.url()))
        owe(engine, notice())
        await asyncio.to_thread(delivery(engine, SteppedClock(T0)).deliver_once)
    (got,) = receiver.received
    assert got["type"] == "incident.opened"
    assert got["data"]["site"] == "Acme"
    assert got["id"] == outbox(engine)[1].message_id
    assert receiver.refused == 0


async def test_both_secrets_sign_during_a_rotation_and_only_the_new_one_after(
    engine: Engine,
) -> None:
    old = subscribe(engine, "hook", Channel.WEBHOOK, "http://placeholder/")
    assert old is not None
    with engine.begin() as conn:
        new = rotate_secret(conn, "hook", T0)
    async with webhook_receiver(old) as knows_old, webhook_receiver(new) as knows_new:
        for receiver, incident in ((knows_old, 1), (knows_new, 2)):
            with engine.begin() as conn:
                from remotecare.center.notify.tables import notify_subscriptions

                conn.execute(notify_subscriptions.update().values(address=receiver.url()))
            owe(engine, notice(incident))
            await asyncio.to_thread(delivery(engine, SteppedClock(T0)).deliver_once)
        assert (len(knows_old.received), len(knows_new.received)) == (1, 1)
        later = SteppedClock(T0 + ROTATION_OVERLAP + timedelta(seconds=1))
        with engine.begin() as conn:
            conn.execute(notify_subscriptions.update().values(address=knows_old.url()))
        owe(engine, notice(3), at=later.current)
        await asyncio.to_thread(delivery(engine, later).deliver_once)
        assert knows_old.refused == 1  # the old secret no longer signs


async def test_failing_webhooks_neither_block_nor_lose_the_others(engine: Engine) -> None:
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # any secret: the receiver's own
    async with webhook_receiver(secret) as receiver:
        ids = {}
        for path in ("/ok", "/fail", "/hang", "/moved"):
            ids[path] = subscribe(engine, path, Channel.WEBHOOK, receiver.url(path))
        from remotecare.center.notify.tables import webhook_secrets

        with engine.begin() as conn:
            conn.execute(webhook_secrets.update().values(secret=secret))
        owe(engine, notice())
        started = asyncio.get_running_loop().time()
        await asyncio.to_thread(delivery(engine, SteppedClock(T0)).deliver_once)
        took = asyncio.get_running_loop().time() - started
    assert took < PACING.deadline_s + 2  # the hanging receiver cost one deadline, no more
    assert len(receiver.received) == 1
    assert receiver.hits == {"/ok": 1}  # the redirect was not followed
    rows = {row.last_error or "": row for row in outbox(engine).values()}
    errors = sorted(rows)
    assert errors[0] == ""  # the one sent
    assert any("HTTP 500" in e for e in errors)
    assert any("redirect 302" in e and "not followed" in e for e in errors)
    assert any("Timeout" in e or "no answer" in e for e in errors)
    pending = [row for row in outbox(engine).values() if row.status == "pending"]
    assert len(pending) == 3
    assert all(row.attempts == 1 and row.next_attempt_at > T0 for row in pending)


@pytest.mark.parametrize("fault", ["refused", "hangs", "drops mid-message"])
async def test_smtp_faults_leave_the_mail_for_a_retry_and_the_webhook_goes(
    engine: Engine, ca: LoopbackCa, fault: str
) -> None:
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    async with webhook_receiver(secret) as receiver:
        subscribe(engine, "mail", Channel.EMAIL, "desk@example.test")
        subscribe(engine, "hook", Channel.WEBHOOK, receiver.url())
        from remotecare.center.notify.tables import webhook_secrets

        with engine.begin() as conn:
            conn.execute(webhook_secrets.update().values(secret=secret))
        owe(engine, notice())
        hanging = HangingSmtp() if fault == "hangs" else None
        try:
            with smtp_server(ca, drop_mid_message=True) as inbox:
                port = {"refused": free_tcp_port(), "hangs": hanging.port if hanging else 0}.get(
                    fault, inbox.port
                )
                loop = delivery(engine, SteppedClock(T0), smtp_settings(ca, port))
                await asyncio.to_thread(loop.deliver_once)
                assert inbox.messages == []
        finally:
            if hanging is not None:
                hanging.close()
    assert len(receiver.received) == 1
    mail = outbox(engine)[1]
    assert (mail.status, mail.attempts) == ("pending", 1)
    assert mail.last_error.startswith("SMTP 127.0.0.1") or "no answer" in mail.last_error


async def test_a_day_of_failures_makes_a_dead_letter_the_operator_can_retry(engine: Engine) -> None:
    subscribe(engine, "mail", Channel.EMAIL, "desk@example.test")  # no SMTP server set
    owe(engine, notice())
    clock = SteppedClock(T0)
    loop = delivery(engine, clock)
    await asyncio.to_thread(loop.deliver_once)
    assert outbox(engine)[1].status == "pending"
    clock.current = T0 + timedelta(days=1)
    await asyncio.to_thread(loop.deliver_once)
    with engine.begin() as conn:
        (dead,) = dead_letters(conn)
        assert "no SMTP server" in (dead.last_error or "")
        assert retry_dead(conn, clock.current) == 1
    assert outbox(engine)[1].status == "pending"


async def test_messages_held_in_quiet_hours_leave_as_one_digest_after(engine: Engine) -> None:
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    night = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)  # 08:00 in Tokyo is not quiet...
    async with webhook_receiver(secret) as receiver:
        subscribe(
            engine,
            "night",
            Channel.WEBHOOK,
            receiver.url(),
            quiet_start="22:00",
            quiet_end="07:00",
            timezone="Europe/London",
        )
        from remotecare.center.notify.tables import webhook_secrets

        with engine.begin() as conn:
            conn.execute(webhook_secrets.update().values(secret=secret))
        owe(engine, notice(1), notice(2), at=night)
        clock = SteppedClock(night + timedelta(hours=1))
        loop = delivery(engine, clock)
        assert await asyncio.to_thread(loop.deliver_once) == 0
        clock.current = datetime(2026, 3, 3, 7, 0, tzinfo=UTC)
        assert await asyncio.to_thread(loop.deliver_once) == 2
    (digest,) = receiver.received
    assert digest["type"] == "incident.digest"
    assert [item["incident_id"] for item in digest["data"]["items"]] == [1, 2]
