"""Posting updates to a bot's webhook listener on this machine, as Telegram's servers post them.

Telegram sends each update as an HTTPS POST of the JSON-serialized Update to the webhook URL,
with the header ``X-Telegram-Bot-Api-Secret-Token`` when setWebhook was given a secret_token,
and counts any status other than 2XX as a failed delivery. The fake cannot reach the public
https URL a bot registers, so it posts to a local ``http://127.0.0.1:PORT/path`` instead, like the
reverse proxy that would stand in front of the bot.
"""

import http
import http.client
import json
import re
from typing import Any
from urllib.parse import urlsplit

from tests.fakebot.netguard import is_loopback_host

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
WEBHOOK_PORTS = frozenset({80, 88, 443, 8443})


def check_local_url(url: str) -> None:
    """Raises ValueError unless ``url`` is plain HTTP on the loopback interface."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not is_loopback_host(parts.hostname):
        raise ValueError(
            f"webhooks are delivered to a local listener, http://127.0.0.1:PORT/path; got {url!r}"
        )
    try:
        parts.port  # noqa: B018 -- parsing the port is the check
    except ValueError as exc:
        raise ValueError(f"bad port in {url!r}: {exc}") from None


def post_update(
    url: str, update: dict[str, Any], secret: str | None, timeout: float
) -> tuple[int, str | None]:
    """POSTs one update; returns the HTTP status (0: no answer) and, on failure, Telegram's
    wording of the error for getWebhookInfo's last_error_message."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    body = json.dumps(update, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    connection = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1", parts.port or 80, timeout=timeout
    )
    try:
        connection.request("POST", path, body, headers)
        response = connection.getresponse()
        response.read()
        status = response.status
    except ConnectionRefusedError:
        return 0, "Connection refused"
    except TimeoutError:
        return 0, "Read timeout expired"
    except (OSError, http.client.HTTPException) as exc:
        return 0, f"Connection failed: {exc!r}"
    finally:
        connection.close()
    if 200 <= status < 300:
        return status, None
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    return status, f"Wrong response from the webhook: {status} {reason}"
