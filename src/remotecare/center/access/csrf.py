"""Tokens that tie a console form to the browser it was served to (CSRF protection).

A cross-site page can make a browser send a form with its cookies, but cannot read the
cookies or the pages. So each form carries a token only a reader of the page can know,
derived from a secret the browser holds in an HttpOnly cookie: the session token once
logged in, before that a login-form secret of its own. The token is an HMAC of a fixed
label keyed with that secret, so it binds the form to that one session, needs no storage
and is the same in every center process (``--workers N``), and does not reveal the
secret it comes from. The SameSite=Strict cookies are the first defence; this is the
second, for browsers or paths where SameSite does not hold.

Pure decisions: no HTTP here (``web/csrf.py`` applies them to the console's requests).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

__all__ = ["FORM_FIELD", "SAFE_METHODS", "form_token", "token_matches"]

FORM_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_LABEL = b"remotecare console form token v1"


def form_token(secret: str) -> str:
    """The token a form served to the holder of ``secret`` carries."""
    digest = hmac.new(secret.encode(), _LABEL, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_matches(secret: str | None, presented: str | None) -> bool:
    """Whether ``presented`` is the token for ``secret`` (compared in constant time)."""
    if not secret or not presented:
        return False
    return hmac.compare_digest(form_token(secret).encode(), presented.encode("utf-8", "replace"))
