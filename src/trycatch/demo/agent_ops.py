"""The demo's agent ops: the shipped eval suite stored, a first run of it on the active
prompt version (the baseline later runs are compared with), and a few answers customers
rated down, waiting in the feedback inbox to become eval cases."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from trycatch.agent.conversations import CustomerRef, answer_question, record_feedback
from trycatch.agent.models import Customer, Rating
from trycatch.evals.runner import run_suite
from trycatch.evals.sample import import_sample_suite
from trycatch.settings import Settings

# Answers a customer found unhelpful, with what they said; the inbox groups alike questions.
UNHELPFUL = (
    ("What plans do you offer?", "I wanted prices per plan, not a page about limits."),
    ("Which plans do you offer and what do they cost?", "Still no prices."),
    ("How long do you keep delivery logs?", "Does this depend on my plan?"),
    ("Do you support mutual TLS to my endpoint?", "Not what I asked."),
)


def seed_agent_ops(session: Session, *, settings: Settings) -> int:
    """Store the shipped suite, run it once, and leave some negative feedback from the
    demo's customers (seed them first); the run's id."""
    import_sample_suite(session, author="demo")
    report = run_suite(session, settings=settings, actor="demo", concurrency=1)
    # Some of the demo's customers asked these (seeded before, so they have an email).
    people = session.scalars(
        select(Customer).where(Customer.email.is_not(None)).order_by(Customer.id).limit(10)
    ).all()
    for number, (question, comment) in enumerate(UNHELPFUL):
        person = people[number % len(people)]
        customer = CustomerRef(email=person.email, name=person.name)
        reply = answer_question(
            session, question=question, settings=settings, channel="widget", customer=customer
        )
        record_feedback(
            session,
            conversation_id=reply.conversation_id,
            message_id=reply.message_id,
            rating=Rating.DOWN,
            comment=comment,
            customer=customer,
        )
    return report.run.id


__all__ = ["UNHELPFUL", "seed_agent_ops"]
