"""Console form tokens: bound to one secret, unguessable without it, compared safely."""

from __future__ import annotations

from remotecare.center.access.csrf import form_token, token_matches


def test_a_token_matches_only_the_secret_it_was_made_for() -> None:
    token = form_token("session-a")
    assert token_matches("session-a", token)
    assert not token_matches("session-b", token)
    assert form_token("session-a") == token  # the same in every process, nothing stored


def test_a_missing_secret_or_token_never_matches() -> None:
    assert not token_matches(None, form_token(""))
    assert not token_matches("", form_token(""))
    assert not token_matches("session-a", None)
    assert not token_matches("session-a", "")


def test_a_token_does_not_contain_its_secret_and_odd_input_is_just_wrong() -> None:
    secret = "a-long-session-secret"
    assert secret not in form_token(secret)
    assert not token_matches(secret, "\udcff not ascii é")
