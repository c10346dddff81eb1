"""Renewal keeps the replaced certificate for a short overlap, never longer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from remotecare.center.identity.rules import RENEWAL_OVERLAP, EndpointCertificates, rotate

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_renewing_with_the_current_certificate_starts_an_overlap() -> None:
    after = rotate(EndpointCertificates("a1"), "a1", "b2", NOW)
    assert after == EndpointCertificates("b2", "a1", NOW + RENEWAL_OVERLAP)
    assert after.accepts("b2", NOW)
    assert after.accepts("a1", NOW + RENEWAL_OVERLAP - timedelta(seconds=1))
    assert not after.accepts("a1", NOW + RENEWAL_OVERLAP)


def test_renewing_again_with_the_replaced_certificate_keeps_the_first_deadline() -> None:
    # The agent never got the answer to its first renewal and tries again with its old one.
    first = rotate(EndpointCertificates("a1"), "a1", "b2", NOW)
    retry = rotate(first, "a1", "c3", NOW + timedelta(minutes=5))
    assert retry == EndpointCertificates("c3", "a1", NOW + RENEWAL_OVERLAP)
    assert not retry.accepts("b2", NOW + timedelta(minutes=5))  # issued, never used


def test_a_superseded_certificate_cannot_renew() -> None:
    after = rotate(EndpointCertificates("a1"), "a1", "b2", NOW)
    with pytest.raises(ValueError, match="only an accepted certificate can be renewed"):
        rotate(after, "a1", "c3", NOW + RENEWAL_OVERLAP)
    with pytest.raises(ValueError, match="only an accepted certificate can be renewed"):
        rotate(after, "zz", "c3", NOW)


def test_the_overlap_is_short() -> None:
    assert timedelta(minutes=1) <= RENEWAL_OVERLAP <= timedelta(hours=1)
