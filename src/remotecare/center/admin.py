"""What an administrator does from the command line (and tests do as one): each operation
in a transaction of its own, as the operator administrator, who sees every customer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from remotecare.center.access.rules import Actor, Role
from remotecare.center.access.service import Accounts
from remotecare.center.contracts.service import ContractService
from remotecare.center.fleet import overview
from remotecare.center.fleet.commands import CommandService
from remotecare.center.fleet.printers import ConfirmedPrinter, PendingPrinter, PrinterService
from remotecare.center.identity.certificates import CertificateService, Revocation
from remotecare.center.identity.enrolment import DEFAULT_TOKEN_TTL, EnrolmentService, IssuedToken
from remotecare.center.kernel.clock import Clock
from remotecare.center.kernel.transactions import Transactions
from remotecare.protocol.messages import Command, CommandKind

__all__ = ["ADMINISTRATOR", "Administration"]

# Whoever can run commands on the center's home can read its database and CA key anyway.
ADMINISTRATOR = Actor.operator("administrator (command line)")


@dataclass(frozen=True, slots=True)
class Administration:
    """Usage::

    center.admin.create_token("Acme Ltd")
    center.admin.revoke(endpoint_id, "device stolen")
    """

    transactions: Transactions
    clock: Clock
    enrolment: EnrolmentService
    certificates: CertificateService
    commands: CommandService
    printers: PrinterService
    accounts: Accounts
    contracts: ContractService
    actor: Actor = ADMINISTRATOR

    def accept_new_customer(self, application: object) -> int:
        """Enter ``application`` (its JSON form) and accept it: the new customer's id."""
        with self.transactions.begin() as conn:
            application_id = self.contracts.submit(conn, self.actor, application)
            return self.contracts.accept(conn, self.actor, application_id)

    def create_token(
        self, customer: str, *, ttl: timedelta = DEFAULT_TOKEN_TTL, max_endpoints: int = 1
    ) -> IssuedToken:
        with self.transactions.begin() as conn:
            return self.enrolment.create_token(
                conn, self.actor, customer, ttl=ttl, max_endpoints=max_endpoints
            )

    def revoke(self, endpoint_id: str, reason: str | None = None) -> Revocation:
        with self.transactions.begin() as conn:
            return self.certificates.revoke(conn, self.actor, endpoint_id, reason)

    def queue_command(
        self, endpoint_id: str, kind: CommandKind, arguments: Mapping[str, str | int]
    ) -> Command:
        with self.transactions.begin() as conn:
            return self.commands.queue(conn, self.actor, endpoint_id, kind, arguments)

    def pending_printers(self) -> list[PendingPrinter]:
        with self.transactions.read() as conn:
            return self.printers.pending(conn, self.actor)

    def confirm_printer(self, serial: str, customer: str | None = None) -> ConfirmedPrinter:
        with self.transactions.begin() as conn:
            return self.printers.confirm(conn, self.actor, serial, customer)

    def devices(self) -> list[overview.DeviceRow]:
        with self.transactions.read() as conn:
            return overview.devices(conn, self.actor, self.clock.now())

    def endpoints(self) -> list[overview.EndpointRow]:
        with self.transactions.read() as conn:
            return overview.endpoints(conn, self.actor, self.clock.now())

    def create_user(self, username: str, password: str, role: Role = Role.OPERATOR_ADMIN) -> None:
        with self.transactions.begin() as conn:
            self.accounts.create_user(conn, username, password, role)
