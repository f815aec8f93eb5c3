"""Channels: how questions arrive and replies leave.

- ``email_out``: replies to customers by SMTP, from the desk's outbox, with retries,
- ``email_in``: customers' emails from the signed webhook, opened or threaded as tickets.
- ``intake``: the agent's escalations opened as tickets at once; tickets from the REST API.
"""

from trycatch.channels.email_in import (
    InboundAttachment,
    InboundEmail,
    ReceivedEmail,
    SignatureError,
    receive_email,
    strip_quoted,
    verify_signature,
)
from trycatch.channels.email_out import (
    DeliveryReport,
    DeliveryResult,
    EmailNotConfigured,
    compose_reply,
    deliver_due,
    send_email,
)

__all__ = [
    "DeliveryReport",
    "DeliveryResult",
    "EmailNotConfigured",
    "InboundAttachment",
    "InboundEmail",
    "ReceivedEmail",
    "SignatureError",
    "compose_reply",
    "deliver_due",
    "receive_email",
    "send_email",
    "strip_quoted",
    "verify_signature",
]
