"""Keep secrets out of the request log: a token sent in the query string is masked."""

from __future__ import annotations

from urllib.parse import unquote_plus

#: Query parameters whose value is a secret (compared lower-case, ``-`` read as ``_``);
#: any parameter whose name contains ``token``, ``secret`` or ``password`` is masked too.
SECRET_PARAMS = frozenset({"key", "api_key", "apikey", "auth", "authorization", "pwd", "sig", "signature"})
_SECRET_PARTS = ("token", "secret", "password", "passwd")
MASK = "***"


def _secret(name: str) -> bool:
    key = unquote_plus(name).strip().lower().replace("-", "_")
    return key in SECRET_PARAMS or any(part in key for part in _SECRET_PARTS)


def mask_query(query: str) -> str:
    """``query`` (raw, as sent) with the value of every secret parameter replaced by ``***``:
    ``token=abc&region=Ulm`` → ``token=***&region=Ulm``. Names stay, so the log still shows
    that a token was sent (e.g. wrongly, in the URL instead of the Authorization header)."""
    if not query:
        return query
    parts = []
    for pair in query.split("&"):
        name, sep, _value = pair.partition("=")
        parts.append(f"{name}={MASK}" if sep and _secret(name) else pair)
    return "&".join(parts)
