"""The center's composition root: settings in, wired services out. It only wires:
``server.py`` starts and serves them, ``cli/`` administers them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from remotecare.center.access.api_tokens import ApiTokens
from remotecare.center.access.login_limit import LoginLimiter
from remotecare.center.access.service import Accounts
from remotecare.center.admin import Administration
from remotecare.center.attempts.limiter import AttemptLimiter
from remotecare.center.attempts.log import SqlFailureLog
from remotecare.center.care.feed import (
    CareConsumer,
    DrainPacing,
    FeedDrainer,
    record_stored_readings,
    report_ids_in_feed,
)
from remotecare.center.care.history.service import HistoryConsumer
from remotecare.center.care.incidents.catalogue import packaged_catalogue
from remotecare.center.care.incidents.contract_events import ResolveIncidentsOnTermination
from remotecare.center.care.incidents.rules.lifecycle import SettlePolicy
from remotecare.center.care.incidents.service import (
    IncidentConsumer,
    Incidents,
    IncidentService,
    IncidentWatch,
)
from remotecare.center.care.meters.closer import MeterCloser
from remotecare.center.care.meters.service import MeterSightings
from remotecare.center.care.supplies.contract_events import CancelOrdersOnTermination
from remotecare.center.care.supplies.forecasting import SuppliesConsumer
from remotecare.center.care.supplies.service import OrderService
from remotecare.center.config import CenterSettings
from remotecare.center.contracts.form_limit import application_form_limiter
from remotecare.center.contracts.retention import PersonalDataRetention
from remotecare.center.contracts.service import ContractService
from remotecare.center.fleet.bundles import BundleService
from remotecare.center.fleet.commands import CommandEvents, CommandService, has_pending_commands
from remotecare.center.fleet.ingest import ReadingsFeed
from remotecare.center.fleet.printers import PrinterService
from remotecare.center.fleet.retention import RawReportRetention
from remotecare.center.identity.certificates import CertificateService
from remotecare.center.identity.contract_events import RevokeEndpointsOnTermination
from remotecare.center.identity.directory import EndpointDirectory
from remotecare.center.identity.enrolment import EnrolmentService
from remotecare.center.identity.enrolment_limit import EnrolmentLimiter
from remotecare.center.kernel.clock import Clock, SystemClock
from remotecare.center.kernel.schema import require_current_schema
from remotecare.center.kernel.storage import make_engine
from remotecare.center.kernel.transactions import Transactions
from remotecare.center.notify.contract_events import StopNotificationsOnTermination
from remotecare.center.notify.delivery import DeliveryLoop
from remotecare.center.notify.senders import SmtpSettings
from remotecare.center.privacy.policy import load_policy
from remotecare.center.privacy.service import PrivacyService
from remotecare.center.web.metrics import Metrics
from remotecare.pki.ca import CertificateAuthority

__all__ = ["Center", "bootstrap"]


@dataclass(frozen=True, slots=True)
class Center:
    """The center's wired parts (no sockets, no threads until ``server.py`` starts them)."""

    settings: CenterSettings
    transactions: Transactions
    ca: CertificateAuthority
    clock: Clock
    accounts: Accounts
    api_tokens: ApiTokens  # dealers' systems on the JSON API
    enrolment: EnrolmentService
    certificates: CertificateService
    directory: EndpointDirectory
    commands: CommandService
    printers: PrinterService
    bundles: BundleService
    enrolment_limiter: EnrolmentLimiter  # failed enrolments, counted in the shared database
    login_limiter: LoginLimiter  # failed console logins, likewise
    metrics: Metrics
    admin: Administration  # the administrator's operations, one transaction each
    feed: ReadingsFeed | None  # where ingest hands stored readings (None: a bench switch)
    drainer: FeedDrainer | None  # the care feed into its consumers (started by the server)
    retention: RawReportRetention  # raw reports deleted after raw_report_days (likewise)
    orders: OrderService  # supply orders as people work them
    contracts: ContractService  # applications to termination
    privacy: PrivacyService  # the one way to read personal data, audited
    application_form_limiter: AttemptLimiter  # submissions on the public application form
    personal_data_retention: PersonalDataRetention  # erasure after termination (article 11)
    incidents: IncidentService | None = None  # fault monitoring: listing, acknowledging
    incident_watch: IncidentWatch | None = None  # settle time, silence, bundles (started)
    delivery: DeliveryLoop | None = None  # the notification outbox (started by the server)
    meter_closer: MeterCloser | None = None  # billing periods closed after cut-off + grace

    def dispose(self) -> None:
        """Close the database connections (a command is done with the center)."""
        self.transactions.dispose()


def bootstrap(
    settings: CenterSettings,
    *,
    clock: Clock | None = None,
    check_schema: bool = True,
    care_consumers: Sequence[CareConsumer] | None = None,
) -> Center:
    """Wire a center. The schema must be current (``center migrate`` makes it so);
    ``check_schema=False`` when a supervisor or ``serve`` has just upgraded it;
    ``care_consumers`` replace the care feed's consumers (by default the history, then
    the supplies)."""
    chosen_clock = clock or SystemClock()
    transactions = Transactions(make_engine(settings.effective_database_url))
    if check_schema:
        try:
            require_current_schema(transactions.engine)
        except BaseException:
            transactions.dispose()
            raise
    ca = CertificateAuthority.load(settings.pki_dir)
    commands = CommandService(chosen_clock)
    certificates = CertificateService(ca, chosen_clock, events=(CommandEvents(),))
    enrolment = EnrolmentService(ca, chosen_clock)
    feed = record_stored_readings if settings.care_feed else None
    incidents = Incidents(
        packaged_catalogue(),
        SettlePolicy(settle=timedelta(minutes=settings.incident_settle_minutes)),
        commands,
    )
    default_consumers: list[CareConsumer] = [
        HistoryConsumer(),
        IncidentConsumer(incidents, chosen_clock),
        MeterSightings(),
    ]
    if settings.care_supplies:
        # After the history: the supplies read the samples it has just written.
        default_consumers.append(SuppliesConsumer(chosen_clock))
    consumers: Sequence[CareConsumer] = (
        default_consumers if care_consumers is None else care_consumers
    )
    printers = PrinterService(chosen_clock, feed)
    accounts = Accounts(
        chosen_clock,
        timedelta(hours=settings.session_hours),
        operators_need_totp=settings.operators_need_totp,
    )
    orders = OrderService(chosen_clock)
    incident_service = IncidentService(incidents, chosen_clock)
    contracts = ContractService(
        chosen_clock,
        events=(
            RevokeEndpointsOnTermination(certificates),
            CancelOrdersOnTermination(orders),
            ResolveIncidentsOnTermination(incident_service),
            StopNotificationsOnTermination(),
        ),
    )
    return Center(
        settings=settings,
        transactions=transactions,
        ca=ca,
        clock=chosen_clock,
        accounts=accounts,
        api_tokens=ApiTokens(chosen_clock),
        enrolment=enrolment,
        certificates=certificates,
        directory=EndpointDirectory(transactions, pending_work=has_pending_commands),
        commands=commands,
        printers=printers,
        bundles=BundleService(
            settings.bundles_dir, max_bytes=settings.max_bundle_bytes, clock=chosen_clock
        ),
        enrolment_limiter=EnrolmentLimiter(SqlFailureLog(transactions, "enrolment"), chosen_clock),
        login_limiter=LoginLimiter(
            SqlFailureLog(transactions, "login-address"),
            SqlFailureLog(transactions, "login-name"),
            chosen_clock,
        ),
        metrics=Metrics(transactions),
        admin=Administration(
            transactions,
            chosen_clock,
            enrolment,
            certificates,
            commands,
            printers,
            accounts,
            contracts,
        ),
        feed=feed,
        drainer=FeedDrainer(
            transactions,
            consumers,
            chosen_clock,
            pacing=DrainPacing(
                busy_batch=settings.care_feed_busy_batch,
                max_defer_s=settings.care_feed_max_defer_seconds,
            ),
        )
        if feed
        else None,
        retention=RawReportRetention(
            transactions, chosen_clock, settings.raw_report_days, kept=report_ids_in_feed()
        ),
        orders=orders,
        contracts=contracts,
        privacy=PrivacyService(chosen_clock, load_policy()),
        application_form_limiter=application_form_limiter(
            SqlFailureLog(transactions, "application-form"), chosen_clock
        ),
        personal_data_retention=PersonalDataRetention(
            transactions, chosen_clock, settings.personal_data_days
        ),
        incidents=incident_service,
        incident_watch=IncidentWatch(
            transactions, incidents, chosen_clock, every_s=settings.incident_watch_seconds
        ),
        delivery=_delivery(settings, transactions, chosen_clock),
        meter_closer=MeterCloser(transactions, chosen_clock),
    )


def _delivery(
    settings: CenterSettings, transactions: Transactions, clock: Clock
) -> DeliveryLoop | None:
    if not settings.notify_delivery:
        return None
    smtp = None
    if settings.smtp_host:
        smtp = SmtpSettings(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_sender,
            settings.smtp_username or None,
            settings.smtp_password or None,
            settings.smtp_starttls,
            Path(settings.smtp_ca_file) if settings.smtp_ca_file else None,
        )
    webhook_ca = Path(settings.webhook_ca_file) if settings.webhook_ca_file else None
    return DeliveryLoop(transactions, clock, smtp, webhook_ca_file=webhook_ca)
