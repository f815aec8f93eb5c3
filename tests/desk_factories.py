"""Factories for the catch block: staff, customers, handoffs, tickets, articles, issues."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Sequence
from functools import cache

from sqlalchemy.orm import Session

from trycatch.agent.models import (
    Conversation,
    ConversationMessage,
    Customer,
    Handoff,
    HandoffStatus,
    Outcome,
)
from trycatch.agent.models import Role as Speaker
from trycatch.desk import (
    Actor,
    Role,
    System,
    Ticket,
    TicketSource,
    User,
    open_ticket,
)
from trycatch.desk.auth import hash_password
from trycatch.knowledge.articles import create_article, publish_article
from trycatch.knowledge.models import Article
from trycatch.knowledge.taxonomy import ProductArea, Taxonomy
from trycatch.store import utcnow
from trycatch.tracker import EngineeringIssue, IssueKind, create_issue

PASSWORD = "correct horse battery staple"
FACTORY = System("tests")

TAXONOMY = Taxonomy(
    product_areas=[
        ProductArea(slug="domains", name="Domains", paths=["domains/**"]),
        ProductArea(slug="webhooks", name="Webhooks", paths=["webhooks/**"]),
        ProductArea(slug="billing", name="Billing", paths=["billing/**"]),
    ]
)

_numbers = itertools.count(1)


@cache
def _password_hash() -> str:
    # argon2 is slow on purpose; one hash serves every factory-made user.
    return hash_password(PASSWORD)


def make_user(session: Session, *, role: Role = Role.AGENT, **overrides: object) -> User:
    """A staff member whose password is ``PASSWORD`` (real auth is tested through create_user)."""
    n = next(_numbers)
    fields: dict[str, object] = {
        "email": f"staff{n}@example.com",
        "name": f"Staff {n}",
        "role": role,
        "password_hash": _password_hash(),
        "active": True,
        "created_at": utcnow(),
    }
    fields.update(overrides)
    user = User(**fields)
    session.add(user)
    session.commit()
    return user


def make_customer(session: Session, **overrides: object) -> Customer:
    n = next(_numbers)
    fields: dict[str, object] = {
        "email": f"customer{n}@example.org",
        "name": f"Customer {n}",
        "created_at": utcnow(),
    }
    fields.update(overrides)
    customer = Customer(**fields)
    session.add(customer)
    session.commit()
    return customer


def make_ticket(
    session: Session,
    *,
    customer: Customer | None = None,
    subject: str = "Webhook deliveries fail with a 401",
    body: str = "Since this morning every delivery to our endpoint fails.",
    source: TicketSource = TicketSource.API,
    actor: Actor = FACTORY,
    message_id: str | None = None,
) -> Ticket:
    """A ticket opened through ``open_ticket``, as the API or email intake would."""
    customer = customer or make_customer(session)
    return open_ticket(
        session,
        customer_id=customer.id,
        subject=subject,
        body=body,
        source=source,
        actor=actor,
        message_id=message_id,
    )


def make_handoff(
    session: Session,
    *,
    customer: Customer | None = None,
    questions: Sequence[str] = ("My domain will not verify, DNS looks right.",),
    retrieved_paths: Sequence[str] = (),
    anonymous: bool = False,
) -> Handoff:
    """A conversation the agent escalated, with what it retrieved (rows, as the agent stores)."""
    if customer is None and not anonymous:
        customer = make_customer(session)
    now = utcnow()
    conversation = Conversation(
        public_id=secrets.token_urlsafe(18),
        customer_id=customer.id if customer else None,
        channel="widget",
        outcome=Outcome.ESCALATED,
        created_at=now,
        updated_at=now,
    )
    retrieved = [
        {"path": path, "title": path, "url": f"/docs/{path}", "section": "", "score": 1.0}
        for path in retrieved_paths
    ]
    for question in questions:
        conversation.messages.append(
            ConversationMessage(role=Speaker.CUSTOMER, text=question, created_at=now)
        )
    conversation.messages.append(
        ConversationMessage(
            role=Speaker.AGENT,
            text="Let me bring in a person who can help.",
            outcome=Outcome.ESCALATED,
            retrieved=retrieved,
            created_at=now,
        )
    )
    session.add(conversation)
    session.flush()
    handoff = Handoff(
        conversation_id=conversation.id,
        reason="Not confident enough.",
        summary=questions[-1] if questions else "",
        attempted_answer="Let me bring in a person who can help.",
        transcript=[{"role": "customer", "text": q} for q in questions],
        retrieved=retrieved,
        status=HandoffStatus.OPEN,
        created_at=now,
    )
    session.add(handoff)
    session.commit()
    return handoff


def make_article(session: Session, *, published: bool = True, title: str = "") -> Article:
    n = next(_numbers)
    article = create_article(
        session,
        title=title or f"Verifying a sending domain ({n})",
        body="Add the TXT record, then wait for DNS to propagate.",
        author="tests",
        product_area="domains",
    )
    if published:
        publish_article(session, slug=article.slug, actor="tests")
    return article


def make_issue(
    session: Session, *, kind: IssueKind = IssueKind.BUG, title: str = ""
) -> EngineeringIssue:
    n = next(_numbers)
    return create_issue(
        session, kind=kind, title=title or f"Retries stop early ({n})", actor="tests"
    )
