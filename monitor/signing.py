"""Standard Webhooks headers and signatures for our JSON webhooks.

Every webhook carries ``webhook-id`` (the delivery id, as ``Idempotency-Key``
does) and ``webhook-timestamp`` (Unix seconds). A channel whose URL has
``sign=${SECRET}``, the secret in the spec's ``whsec_<base64 key>`` form, also
gets ``webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">``, so
its receiver can check with any Standard Webhooks library that the message
comes from us and was not changed (https://www.standardwebhooks.com/).

``sign=`` is ours, not apprise's: it is taken out of the URL before apprise
reads the rest, and as a secret it is written as a ``${VAR}``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from urllib.parse import unquote

SIGN_ARGUMENT = "sign"
SECRET_PREFIX = "whsec_"  # noqa: S105 (the spec's prefix, not a secret)


class SigningSecretError(ValueError):
    """A ``sign=`` value that is not a ``whsec_`` secret (the message never shows it)."""


def split_signing(url: str) -> tuple[str, str | None]:
    """``url`` without its ``sign=`` argument, and that argument's value (None if absent)."""
    base, mark, rest = url.partition("?")
    if not mark:
        return url, None
    query, hash_mark, fragment = rest.partition("#")
    kept, secret = [], None
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        if unquote(key) == SIGN_ARGUMENT:
            secret = unquote(value)
        elif pair:
            kept.append(pair)
    rebuilt = base + (f"?{'&'.join(kept)}" if kept else "")
    return rebuilt + (hash_mark + fragment if hash_mark else ""), secret


def signing_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_<base64>`` secret."""
    if not secret.startswith(SECRET_PREFIX):
        raise SigningSecretError(f"sign= must be a {SECRET_PREFIX}… secret (Standard Webhooks)")
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise SigningSecretError("sign= must be whsec_ followed by base64") from None
    if len(key) < 16:
        raise SigningSecretError("sign= holds a key under 16 bytes: too short to sign with")
    return key


def webhook_headers(
    message_id: str, timestamp: int, body: str, key: bytes | None
) -> dict[str, str]:
    """``webhook-id``, ``webhook-timestamp`` and, with ``key``, ``webhook-signature``."""
    headers = {"webhook-id": message_id, "webhook-timestamp": str(timestamp)}
    if key is not None:
        signed = f"{message_id}.{timestamp}.{body}".encode()
        digest = hmac.new(key, signed, hashlib.sha256).digest()
        headers["webhook-signature"] = "v1," + base64.b64encode(digest).decode("ascii")
    return headers
