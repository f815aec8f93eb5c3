"""A ticket's life: from a handoff or intake, replies and notes, the customer's link,
reopening, flags and priority, and an audit event for every change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.desk_factories import (
    FACTORY,
    TAXONOMY,
    make_customer,
    make_handoff,
    make_ticket,
    make_user,
)
from trycatch.agent.models import ConversationMessage, Handoff, HandoffStatus
from trycatch.agent.models import Role as Speaker
from trycatch.desk import (
    EMAIL,
    OUTREACH_CATEGORY,
    MessageKind,
    OutcomeInput,
    PermissionDenied,
    Priority,
    Role,
    Ticket,
    TicketClosed,
    TicketInputError,
    TicketNotFound,
    TicketSource,
    TicketStatus,
    add_note,
    assign,
    close_ticket,
    customer_reply,
    customer_visible_messages,
    flag_concern,
    get_ticket_for,
    get_ticket_for_customer,
    next_ticket_for,
    open_ticket,
    open_ticket_from_handoff,
    reply,
    set_priority,
    ticket_for_email,
)
from trycatch.store import Event


def _events(session: Session, action: str) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.action == action).order_by(Event.id)))


def test_a_handoff_becomes_one_ticket_however_often_it_is_taken(session: Session) -> None:
    agent = make_user(session)
    handoff = make_handoff(
        session,
        questions=["  My domain will not verify,\n  DNS looks right.", "Still failing."],
    )

    ticket = open_ticket_from_handoff(session, handoff_id=handoff.id, actor=agent)
    again = open_ticket_from_handoff(session, handoff_id=handoff.id, actor=make_user(session))

    assert again.id == ticket.id
    assert ticket.subject == "My domain will not verify,"
    assert ticket.source == TicketSource.AGENT
    assert ticket.status == TicketStatus.OPEN
    assert ticket.assignee_id is None
    assert (ticket.conversation_id, ticket.handoff_id) == (handoff.conversation_id, handoff.id)
    assert ticket.customer_id == handoff.conversation.customer_id
    [first] = ticket.messages
    assert first.kind == MessageKind.CUSTOMER
    assert "Still failing." in first.body
    session.refresh(handoff)
    assert handoff.status == HandoffStatus.TAKEN
    assert len(_events(session, "ticket.opened")) == 1
    [taken] = _events(session, "handoff.taken")
    assert taken.subject == f"handoff:{handoff.id}"
    assert taken.actor == f"user:{agent.id}"


def test_an_anonymous_handoff_gets_a_customer_to_answer(session: Session) -> None:
    handoff = make_handoff(session, anonymous=True)
    ticket = open_ticket_from_handoff(session, handoff_id=handoff.id, actor=make_user(session))
    assert ticket.customer.name.startswith("Anonymous visitor")
    assert ticket.customer.email is None


def test_email_and_api_tickets_start_open_with_the_customers_message(session: Session) -> None:
    customer = make_customer(session)
    ticket = open_ticket(
        session,
        customer_id=customer.id,
        subject="  Bounce   rate spiked ",
        body="Half our mail bounces since Tuesday.",
        source=TicketSource.EMAIL,
        actor=EMAIL,
        message_id="<m1@mail.example.org>",
    )
    assert ticket.subject == "Bounce rate spiked"
    assert (ticket.status, ticket.priority, ticket.category) == ("open", "normal", None)
    assert [m.kind for m in ticket.messages] == [MessageKind.CUSTOMER]
    assert ticket.first_response_at is None
    [event] = _events(session, "ticket.opened")
    assert event.actor == "system:email"
    assert event.data == {"source": "email", "customer_id": customer.id}


def test_the_same_email_delivered_twice_opens_one_ticket(session: Session) -> None:
    customer = make_customer(session)
    first = make_ticket(
        session, customer=customer, source=TicketSource.EMAIL, message_id="<same@x.org>"
    )
    second = make_ticket(
        session, customer=customer, source=TicketSource.EMAIL, message_id="<same@x.org>"
    )
    assert second.id == first.id
    assert len(_events(session, "ticket.opened")) == 1
    assert ticket_for_email(session, message_ids=["<other@x.org>", "<same@x.org>"]) == first
    assert ticket_for_email(session, message_ids=["<unknown@x.org>"]) is None


def test_outreach_is_opened_by_staff_with_the_category_preset(session: Session) -> None:
    agent = make_user(session)
    customer = make_customer(session)
    ticket = open_ticket(
        session,
        customer_id=customer.id,
        subject="Your webhook retries are exhausted",
        body="We noticed deliveries to your endpoint fail; can we help?",
        source=TicketSource.OUTREACH,
        actor=agent,
    )
    assert ticket.category == OUTREACH_CATEGORY
    assert ticket.status == TicketStatus.PENDING
    assert ticket.assignee_id == agent.id
    assert ticket.first_response_at is not None
    [message] = ticket.messages
    assert (message.kind, message.author_user_id) == (MessageKind.REPLY, agent.id)
    with pytest.raises(TicketInputError, match="source: outreach"):
        open_ticket(
            session,
            customer_id=customer.id,
            subject="x",
            body="y",
            source=TicketSource.OUTREACH,
            actor=EMAIL,
        )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"subject": "   "}, "subject"),
        ({"subject": "x" * 301}, "subject"),
        ({"body": "\n \n"}, "body"),
        ({"customer_id": 999_999}, "customer_id"),
        ({"source": TicketSource.AGENT}, "source"),
    ],
)
def test_bad_ticket_input_names_the_field(
    session: Session, overrides: dict[str, Any], field: str
) -> None:
    fields: dict[str, Any] = {
        "customer_id": make_customer(session).id,
        "subject": "Subject",
        "body": "Body",
        "source": TicketSource.API,
        "actor": EMAIL,
    }
    fields.update(overrides)
    with pytest.raises(TicketInputError, match=f"^{field}: "):
        open_ticket(session, **fields)


def test_first_response_is_set_by_the_first_reply_only(session: Session) -> None:
    agent = make_user(session)
    ticket = make_ticket(session)

    reply(session, ticket_id=ticket.id, actor=agent, body="Could you send the response body?")
    first = ticket.first_response_at
    customer_reply(session, key=ticket.key, body="Here it is: 401 Unauthorized.")
    reply(session, ticket_id=ticket.id, actor=agent, body="Rotate the signing secret.")

    session.expire_all()
    assert first is not None and first.tzinfo is not None
    assert ticket.first_response_at == first
    assert ticket.status == TicketStatus.PENDING
    assert [m.kind for m in ticket.messages] == ["customer", "reply", "customer", "reply"]
    assert ticket.messages[1].author_user_id == agent.id
    assert len(_events(session, "ticket.replied")) == 2


@pytest.mark.parametrize("closed", [False, True], ids=["pending", "closed"])
def test_a_customer_reply_reopens_the_ticket(session: Session, closed: bool) -> None:
    agent = make_user(session)
    ticket = make_ticket(session)
    reply(session, ticket_id=ticket.id, actor=agent, body="Does it work now?")
    if closed:
        close_ticket(
            session,
            ticket_id=ticket.id,
            actor=agent,
            taxonomy=TAXONOMY,
            category="Reliability",
            product_area="webhooks",
            outcomes=[OutcomeInput(kind="no_action", reason="Transient outage, resolved.")],
        )
        assert ticket.closed_at is not None

    customer_reply(session, key=ticket.key, body="No, still failing.", message_id="<r1@x.org>")
    customer_reply(  # the same email again: stored once
        session, key=ticket.key, body="No, still failing.", message_id="<r1@x.org>"
    )

    session.expire_all()
    assert ticket.status == TicketStatus.OPEN
    assert ticket.closed_at is None
    assert [m.kind for m in ticket.messages][-1] == MessageKind.CUSTOMER
    assert sum(m.message_id == "<r1@x.org>" for m in ticket.messages) == 1
    [event] = _events(session, "ticket.customer_replied")
    assert event.actor == f"customer:{ticket.customer_id}"
    assert event.data["reopened_from"] == ("closed" if closed else "pending")


def test_staff_cannot_reply_on_a_closed_ticket(session: Session) -> None:
    agent = make_user(session)
    ticket = make_ticket(session)
    close_ticket(
        session,
        ticket_id=ticket.id,
        actor=agent,
        taxonomy=TAXONOMY,
        category="Usability",
        product_area="domains",
        outcomes=[OutcomeInput(kind="docs_change", url="https://docs.example.com/domains")],
    )
    with pytest.raises(TicketClosed):
        reply(session, ticket_id=ticket.id, actor=agent, body="One more thing")


def test_notes_stay_internal(session: Session) -> None:
    agent = make_user(session)
    ticket = make_ticket(session)
    add_note(session, ticket_id=ticket.id, actor=agent, body="Customer is on the legacy plan.")
    reply(session, ticket_id=ticket.id, actor=agent, body="We are on it.")

    seen = customer_visible_messages(get_ticket_for_customer(session, key=ticket.key))

    assert [m.kind for m in seen] == ["customer", "reply"]
    assert all("legacy plan" not in m.body for m in seen)
    staff_view = get_ticket_for(
        session, actor=make_user(session, role=Role.VIEWER), ticket_id=ticket.id
    )
    assert [m.kind for m in staff_view.messages] == ["customer", "note", "reply"]
    assert len(_events(session, "ticket.noted")) == 1


def test_the_customer_link_opens_only_with_its_exact_key(session: Session) -> None:
    ticket = make_ticket(session)
    neighbour = make_ticket(session)
    key = ticket.key
    flipped = key[:-1] + ("A" if key[-1] != "A" else "B")

    assert get_ticket_for_customer(session, key=key).id == ticket.id
    for forged in [
        flipped,
        key[:-1],
        key + "x",
        key.upper() if key.upper() != key else key.lower(),
        str(ticket.id),
        str(neighbour.id),
        str(ticket.id + 1),
        "",
        " " + key,
        "x" * 10_000,
    ]:
        with pytest.raises(TicketNotFound) as missing:
            get_ticket_for_customer(session, key=forged)
        assert str(missing.value) == "no such ticket"  # says nothing about what exists
    assert len(key) >= 40
    assert key != neighbour.key


def test_flagging_makes_a_ticket_high_priority_at_least(session: Session) -> None:
    agent = make_user(session)
    low = make_ticket(session)
    urgent = make_ticket(session)
    set_priority(session, ticket_id=low.id, actor=agent, priority=Priority.LOW)
    set_priority(session, ticket_id=urgent.id, actor=agent, priority=Priority.URGENT)

    flag_concern(session, ticket_id=low.id, actor=agent, reason="Third report of lost events")
    flag_concern(session, ticket_id=urgent.id, actor=agent, reason="Data loss")

    assert (low.flagged, low.priority, low.flag_reason) == (
        True,
        Priority.HIGH,
        "Third report of lost events",
    )
    assert urgent.priority == Priority.URGENT
    with pytest.raises(TicketInputError, match="priority: a flagged ticket"):
        set_priority(session, ticket_id=low.id, actor=agent, priority=Priority.NORMAL)
    with pytest.raises(TicketInputError, match="reason"):
        flag_concern(session, ticket_id=low.id, actor=agent, reason="  ")
    [event, _] = _events(session, "ticket.flagged")
    assert event.data == {"reason": "Third report of lost events", "priority": "high"}
    changes = _events(session, "ticket.priority_changed")
    assert [e.data["to"] for e in changes] == ["low", "urgent"]


def test_assignment_goes_to_active_staff_who_work_tickets(session: Session) -> None:
    admin = make_user(session, role=Role.ADMIN)
    agent = make_user(session)
    viewer = make_user(session, role=Role.VIEWER)
    gone = make_user(session, active=False)
    ticket = make_ticket(session)

    assign(session, ticket_id=ticket.id, actor=admin, assignee_id=agent.id)
    assign(session, ticket_id=ticket.id, actor=admin, assignee_id=agent.id)  # no change
    assert ticket.assignee_id == agent.id
    for bad in (viewer.id, gone.id, 999_999):
        with pytest.raises(TicketInputError, match="assignee_id"):
            assign(session, ticket_id=ticket.id, actor=admin, assignee_id=bad)
    assign(session, ticket_id=ticket.id, actor=agent, assignee_id=None)
    assert ticket.assignee_id is None
    events = _events(session, "ticket.assigned")
    assert [(e.data["from"], e.data["to"]) for e in events] == [(None, agent.id), (agent.id, None)]


def test_missing_tickets_are_not_found_for_staff(session: Session) -> None:
    with pytest.raises(TicketNotFound):
        get_ticket_for(session, actor=make_user(session), ticket_id=12345)


# Every service that changes a ticket, called by a given staff member.
MUTATIONS: dict[str, Callable[[Session, Any, Any], object]] = {
    "open_ticket": lambda s, actor, t: open_ticket(
        s, customer_id=t.customer_id, subject="s", body="b", source=TicketSource.API, actor=actor
    ),
    "outreach": lambda s, actor, t: open_ticket(
        s,
        customer_id=t.customer_id,
        subject="s",
        body="b",
        source=TicketSource.OUTREACH,
        actor=actor,
    ),
    "open_ticket_from_handoff": lambda s, actor, t: open_ticket_from_handoff(
        s, handoff_id=make_handoff(s).id, actor=actor
    ),
    "reply": lambda s, actor, t: reply(s, ticket_id=t.id, actor=actor, body="Hello"),
    "add_note": lambda s, actor, t: add_note(s, ticket_id=t.id, actor=actor, body="Note"),
    "assign": lambda s, actor, t: assign(s, ticket_id=t.id, actor=actor, assignee_id=actor.id),
    "set_priority": lambda s, actor, t: set_priority(
        s, ticket_id=t.id, actor=actor, priority=Priority.URGENT
    ),
    "flag_concern": lambda s, actor, t: flag_concern(
        s, ticket_id=t.id, actor=actor, reason="Looks like data loss"
    ),
    "close_ticket": lambda s, actor, t: close_ticket(
        s,
        ticket_id=t.id,
        actor=actor,
        taxonomy=TAXONOMY,
        category="Functional",
        product_area="webhooks",
        outcomes=[OutcomeInput(kind="no_action", reason="Works as designed, explained.")],
    ),
    "next_ticket_for": lambda s, actor, t: next_ticket_for(s, user=actor, strict=False),
}

# The audit event each of them writes.
AUDITED = {
    "open_ticket": "ticket.opened",
    "outreach": "ticket.opened",
    "open_ticket_from_handoff": "handoff.taken",
    "reply": "ticket.replied",
    "add_note": "ticket.noted",
    "assign": "ticket.assigned",
    "set_priority": "ticket.priority_changed",
    "flag_concern": "ticket.flagged",
    "close_ticket": "ticket.closed",
    "next_ticket_for": "ticket.assigned",
}


@pytest.mark.parametrize("role", [Role.VIEWER, "inactive agent", Role.AGENT, Role.ADMIN])
@pytest.mark.parametrize("service", sorted(MUTATIONS))
def test_viewers_and_inactive_staff_change_nothing(
    session: Session, service: str, role: Role | str
) -> None:
    if role == "inactive agent":
        actor = make_user(session, role=Role.AGENT, active=False)
    else:
        actor = make_user(session, role=Role(role))
    ticket = make_ticket(session)
    before = session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1))

    if role in {Role.AGENT, Role.ADMIN}:
        assert MUTATIONS[service](session, actor, ticket) is not None
        written = session.scalars(select(Event).where(Event.id > (before or 0))).all()
        assert AUDITED[service] in [e.action for e in written]
        assert all(e.actor == f"user:{actor.id}" for e in written)
        return
    with pytest.raises(PermissionDenied):
        MUTATIONS[service](session, actor, ticket)
    session.rollback()
    after = session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1))
    assert after == before
    if role == Role.VIEWER:  # viewers still read
        assert get_ticket_for(session, actor=actor, ticket_id=ticket.id).id == ticket.id
    else:
        with pytest.raises(PermissionDenied):
            get_ticket_for(session, actor=actor, ticket_id=ticket.id)


def test_a_conversation_escalated_again_joins_its_open_ticket(session: Session) -> None:
    first = make_handoff(session, questions=["My domain will not verify."])
    ticket = open_ticket_from_handoff(session, handoff_id=first.id, actor=FACTORY)
    me = make_user(session)
    reply(session, ticket_id=ticket.id, actor=me, body="Which DNS provider do you use?")
    conversation = first.conversation
    conversation.messages.append(
        ConversationMessage(role=Speaker.CUSTOMER, text="Still stuck, a human please.")
    )
    second = Handoff(
        conversation_id=conversation.id,
        reason="The customer asked for a human.",
        summary="Still stuck, a human please.",
        status=HandoffStatus.OPEN,
    )
    session.add(second)
    session.commit()

    joined = open_ticket_from_handoff(session, handoff_id=second.id, actor=FACTORY)
    assert joined.id == ticket.id
    assert joined.status == TicketStatus.OPEN  # reopened from pending
    assert joined.messages[-1].body == "Still stuck, a human please."
    assert second.status == HandoffStatus.TAKEN
    assert session.scalar(select(func.count()).select_from(Ticket)) == 1

    close_ticket(
        session,
        ticket_id=ticket.id,
        actor=me,
        taxonomy=TAXONOMY,
        category="Usability",
        product_area="billing",
        outcomes=[OutcomeInput(kind="no_action", reason="Explained DNS propagation times.")],
    )
    third = Handoff(
        conversation_id=conversation.id, reason="Again.", summary="", status=HandoffStatus.OPEN
    )
    session.add(third)
    session.commit()
    fresh = open_ticket_from_handoff(session, handoff_id=third.id, actor=FACTORY)
    assert fresh.id != ticket.id  # a closed ticket stays closed: a new question, a new ticket
