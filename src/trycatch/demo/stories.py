"""What Hookrelay's customers write about, and what support left behind upstream.

Each ``Story`` is one kind of ticket, written from the sample help center
(``src/trycatch/sample/hookrelay``): the customer's message, the team's answer, an optional
follow-up and internal note, the category and product area it closes with, and its ``Fix``
(the outcome). Several tickets are told from one story with different customers and
details, so tickets that ask for the same engineering issue add up to demand, and a KB
article written for the first ticket is the outcome of the later ones too.

Texts are ``str.format`` templates over the fields of ``details``; the benchmark in
``bench/desk_speed.py`` draws its ticket text from the same stories.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

from trycatch.desk.models import OutcomeKind
from trycatch.tracker.models import IssueKind

DOCS = "https://docs.hookrelay.dev"
REPO = "https://github.com/hookrelay"


@dataclass(frozen=True, slots=True)
class Fix:
    """The outcome a story's tickets close with."""

    kind: OutcomeKind
    url: str | None = None
    title: str = ""  # the KB article's or the engineering issue's
    body: str = ""  # the KB article's Markdown
    issue_kind: IssueKind = IssueKind.BUG
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Story:
    key: str
    category: str
    product_area: str
    subjects: tuple[str, ...]
    body: str  # the customer's first message (the staff's, for outreach)
    reply: str  # the team's public answer
    fix: Fix
    follow_up: str = ""  # the customer's answer to the reply
    note: str = ""  # an internal note
    # A question to the agent that it hands to a human (an escalation intent matches it);
    # set for stories that arrive as agent escalations.
    question: str = ""
    outreach: bool = False  # the team wrote first (Success Outreach)
    weight: int = 3  # how often the story is told, relative to the others


def _kb(title: str, body: str) -> Fix:
    return Fix(OutcomeKind.KB_ARTICLE, title=title, body=body)


def _docs(path: str) -> Fix:
    return Fix(OutcomeKind.DOCS_CHANGE, url=f"{DOCS}/{path}")


def _issue(kind: IssueKind, title: str) -> Fix:
    return Fix(OutcomeKind.ENGINEERING_ISSUE, title=title, issue_kind=kind)


def _pr(repo: str, number: int) -> Fix:
    return Fix(OutcomeKind.PULL_REQUEST, url=f"{REPO}/{repo}/pull/{number}")


def _none(reason: str) -> Fix:
    return Fix(OutcomeKind.NO_ACTION, reason=reason)


STORIES: tuple[Story, ...] = (
    # --- security -----------------------------------------------------------------------
    Story(
        key="signature-body-parsed",
        category="Functional",
        product_area="security",
        subjects=(
            "Signature verification fails on every delivery",
            "Hookrelay-Signature never matches in our Express app",
        ),
        body="Hi,\n\nwe verify the Hookrelay-Signature header as described in the docs, but "
        "every delivery to {endpoint} fails verification. The secret is the whsec_ value from "
        "the endpoint page, copied twice to be sure. We run Node {node_version} with Express "
        "and express.json() in front of the route.\n\nWhat are we doing wrong?\n\n{first}, "
        "{company}",
        reply="Hi {first},\n\nthe signature is computed over the raw request body, byte for "
        "byte. express.json() parses the body before your handler sees it, and serializing it "
        "again changes whitespace and key order, so the HMAC cannot match. Mount "
        "express.raw({{ type: 'application/json' }}) on the webhook route (or use the "
        "verifyWebhook helper of @hookrelay/node, which takes the raw body) and verification "
        "will pass.\n\n{agent}",
        follow_up="That was it, switched to express.raw and all deliveries verify now. Thanks!",
        note="Third time this month with a body-parsing framework. Writing this up as a KB "
        "article so the agent can answer it.",
        fix=_kb(
            "Signature verification fails after your framework parses the body",
            "# Signature verification fails after your framework parses the body\n\n"
            "Hookrelay signs the **raw bytes** of each delivery. Frameworks that parse JSON "
            "before your handler runs (Express `express.json()`, Flask `request.get_json()`, "
            "NestJS body parsers) hand you a re-serialized body, and the HMAC no longer "
            "matches.\n\n## Fix\n\n- Express: mount `express.raw({ type: 'application/json' "
            "})` on the webhook route.\n- Flask: verify `request.get_data()` before parsing.\n"
            "- Or use the SDK helper, which takes the raw body: `verifyWebhook(rawBody, "
            "headers, secret)`.\n\nSee also: Verifying webhook signatures.",
        ),
        weight=6,
    ),
    Story(
        key="signature-clock-skew",
        category="Functional",
        product_area="security",
        subjects=("Deliveries rejected as too old by our verifier", "Timestamp tolerance errors"),
        body="Our receiver rejects about {percent}% of deliveries with 'timestamp outside "
        "tolerance'. We use the 300-second tolerance from your Python example. Could your "
        "clocks be off?\n\n{first}",
        reply="Hi {first},\n\nour delivery workers are NTP-synced; the t= value is the time "
        "of signing, so a retry carries a fresh timestamp. A rejection like this usually means "
        "the receiving host's clock drifts. Could you run `chronyc tracking` (or check "
        "`timedatectl`) on the hosts behind {endpoint}? Drift over a few minutes explains "
        "exactly this pattern.\n\n{agent}",
        follow_up="One of our containers had no NTP at all and was 7 minutes behind. Fixed.",
        fix=_docs("security/verifying-signatures#timestamp-tolerance"),
    ),
    Story(
        key="rotate-signing-secret",
        category="Usability",
        product_area="security",
        subjects=(
            "How do we rotate the signing secret without dropping deliveries?",
            "Rotating whsec_ secret safely",
        ),
        body="Someone who had access to our signing secrets left the team. How can we rotate "
        "the secret of {endpoint} without rejecting deliveries while we deploy?\n\n{first}",
        reply="Hi {first},\n\nrotate with a grace period: Endpoints → {endpoint} → Rotate "
        "secret, and choose up to 48 hours (default 24). During the grace period every "
        "delivery carries two v1= signatures, one per secret, so your receiver accepts either "
        "while you deploy the new one.\n\n{agent}",
        fix=_docs("security/rotating-signing-secrets"),
        note="The rotation page is not linked from the endpoint settings page; asked docs to "
        "add the link.",
    ),
    Story(
        key="ip-allowlist",
        category="Deliverability",
        product_area="security",
        subjects=("Firewall blocks your deliveries: which IPs?", "Which IP ranges to allowlist"),
        body="Our security team allowlisted the Hookrelay IPs they found in a blog post, and "
        "now every delivery to {endpoint} times out. Which ranges do you deliver from?\n\n"
        "{first}, {company}",
        reply="Hi {first},\n\nthe current ranges are always at GET https://api.hookrelay.dev/"
        "v1/ips (no authentication needed); the list in that post is from 2023. Most teams "
        "refresh their allowlist from that endpoint daily. Once the firewall allows them, "
        "replay the failed deliveries from the Deliveries page.\n\n{agent}",
        follow_up="Updated the rules from /v1/ips and replayed, all green. Thanks.",
        fix=_none("Documented in 'IP allowlisting and mutual TLS'; the customer used an old list."),
    ),
    Story(
        key="mtls-per-endpoint",
        category="Functional",
        product_area="security",
        subjects=(
            "Client certificate per endpoint for mTLS?",
            "mTLS: can each tenant get its own certificate?",
        ),
        body="We enabled mutual TLS and it works, but our customers' receivers want a client "
        "certificate issued for them, not one shared Hookrelay certificate. Is a certificate "
        "per endpoint possible?\n\n{first}",
        reply="Hi {first},\n\ntoday all deliveries present the one Hookrelay client "
        "certificate, signed by the CA at /v1/mtls/ca.pem. A certificate per endpoint isn't "
        "available; I've added your request to our engineering issue for it, and we'll let "
        "you know when it moves.\n\n{agent}",
        fix=_issue(IssueKind.FEATURE, "Per-endpoint client certificates for mTLS"),
    ),
    # --- endpoints ----------------------------------------------------------------------
    Story(
        key="endpoint-disabled-no-warning",
        category="Deliverability",
        product_area="endpoints",
        subjects=(
            "Our endpoint was disabled without any warning",
            "Endpoint {endpoint} disabled, we lost a weekend of events",
            "Why was endpoint {endpoint} disabled?",
        ),
        body="Hello,\n\nendpoint {endpoint} (tenant {tenant}) was disabled on Sunday and we "
        "only noticed on Monday when {tenant} complained. Nobody on our side got an email "
        "that I can find. Can you re-enable it and tell us why this happened?\n\n{first}",
        reply="Hi {first},\n\nthe endpoint had failed every delivery for 3 days (TLS handshake "
        "errors since a certificate expired), which disables it automatically. The "
        "notification went to the workspace Owners only. I've re-enabled it; replay the "
        "missed events with Deliveries → filter status:failed → Replay all. You can add more "
        "people to the notifications under Settings → Notifications.\n\n{agent}",
        follow_up="Replayed, thanks. An email a day before disabling would have saved us though.",
        note="Another request for a warning before auto-disable. Linked to the issue.",
        question="Our endpoint {endpoint} got disabled and we lost events, can you check on "
        "your side what happened?",
        fix=_issue(IssueKind.FEATURE, "Warn by email 24 hours before auto-disabling an endpoint"),
        weight=8,
    ),
    Story(
        key="endpoint-410",
        category="Deliverability",
        product_area="endpoints",
        subjects=("Endpoint disabled after a single 410", "One 410 Gone disabled our endpoint"),
        body="Our load balancer returned 410 for a few seconds during a deploy and {endpoint} "
        "was disabled immediately. Is that expected? It looks like a bug.\n\n{first}",
        reply="Hi {first},\n\nyes, it's by design: 410 Gone means 'this URL no longer exists', "
        "so Hookrelay disables the endpoint at once instead of retrying for days. Have the "
        "load balancer answer 503 during deploys; 503 is retried with backoff. I've "
        "re-enabled the endpoint for you.\n\n{agent}",
        fix=_kb(
            "Why a single 410 Gone disables an endpoint",
            "# Why a single 410 Gone disables an endpoint\n\nA `410 Gone` response tells "
            "Hookrelay the URL has been removed for good, so the endpoint is disabled after "
            "the first one (other errors are retried for about 24 hours, and an endpoint is "
            "disabled only after 3 days of failures).\n\n## During deploys\n\nMake your load "
            "balancer or maintenance page answer **503** (or 502/504): those are retried with "
            "backoff.\n\n## Re-enable\n\nEndpoints → the endpoint → Enable, then replay the "
            "failed deliveries.",
        ),
    ),
    Story(
        key="endpoint-reenable-replay",
        category="Usability",
        product_area="endpoints",
        subjects=("How to re-enable and replay what we missed?", "Endpoint back up, now what?"),
        body="We fixed the receiver behind {endpoint}. Is re-enabling enough, or do we have to "
        "resend the last {count} events ourselves?\n\n{first}",
        reply="Hi {first},\n\nre-enabling only resumes new deliveries. For the ones missed "
        "while it was disabled: Deliveries → filter endpoint:{endpoint} status:failed → "
        "Replay all. Replays are new deliveries, so your idempotency handling still applies."
        "\n\n{agent}",
        fix=_docs("endpoints/endpoint-health-and-auto-disable#recovering"),
    ),
    Story(
        key="endpoint-http-live",
        category="Usability",
        product_area="endpoints",
        subjects=("Cannot create an endpoint with an http:// URL", "validation_error on url"),
        body="Creating an endpoint with http://{tenant}.internal.example/hooks fails with a "
        "validation_error. It works in test mode. What's different?\n\n{first}",
        reply="Hi {first},\n\nlive mode only delivers over https:// with a publicly trusted "
        "certificate (TLS 1.2+); http:// is allowed in test mode only, for local development. "
        "Put the receiver behind TLS and the endpoint will be accepted.\n\n{agent}",
        fix=_none("Works as designed and documented in 'Create and manage endpoints'."),
        weight=2,
    ),
    # --- deliveries ---------------------------------------------------------------------
    Story(
        key="delivery-timeouts",
        category="Deliverability",
        product_area="deliveries",
        subjects=(
            "Deliveries time out after 15 seconds",
            "timeout errors on {endpoint}",
            "Lots of 'timeout' attempts in the logs",
        ),
        body="Hi,\n\nabout a third of the deliveries to {endpoint} end with error=timeout, "
        "although our handler does finish. It generates a PDF and calls two internal "
        "services, usually in 12-20 seconds. Can you raise the timeout for us?\n\n{first}",
        reply="Hi {first},\n\nthe 15-second timeout covers the whole request and can't be "
        "raised per endpoint. The pattern that works: validate the signature, put the event "
        "on a queue, answer 200 right away, and generate the PDF in a worker. Deliveries then "
        "take milliseconds and the retries stop.\n\n{agent}",
        follow_up="Moved the PDF work to a queue, no more timeouts. Thanks for the pattern.",
        question="Please raise the timeout limit for our endpoint {endpoint}, our handler "
        "needs 20 seconds",
        fix=_kb(
            "Acknowledge first, process later: avoiding delivery timeouts",
            "# Acknowledge first, process later\n\nHookrelay waits **15 seconds** for a 2xx, "
            "DNS and TLS included. Slow handlers time out and are retried, which makes them "
            "slower still.\n\n1. Verify the signature.\n2. Store the event or put it on a "
            "queue.\n3. Answer `200` at once.\n4. Do the work in a background worker, "
            "idempotently (deliveries can repeat).\n\nThe timeout cannot be raised per "
            "endpoint.",
        ),
        weight=7,
    ),
    Story(
        key="retry-schedule",
        category="Usability",
        product_area="deliveries",
        subjects=("How long do you keep retrying?", "Exact retry schedule?"),
        body="How many times and for how long does Hookrelay retry a failed delivery? We want "
        "to size our dead-letter handling. The docs say 'about 24 hours'.\n\n{first}",
        reply="Hi {first},\n\n8 attempts after the first, with exponential backoff: 30 s, "
        "2 min, 10 min, 30 min, 1 h, 3 h, 6 h and 12 h (each with up to 10% jitter), so the "
        "last one is about 22 hours after the event. After that the delivery is marked "
        "failed and can be replayed.\n\n{agent}",
        fix=_docs("deliveries/retries-and-backoff#schedule"),
        note="Docs say 'about 24 hours' without the table; asked to add the schedule.",
    ),
    Story(
        key="duplicate-deliveries",
        category="Functional",
        product_area="deliveries",
        subjects=("Same event delivered twice", "Duplicate {event_type} deliveries"),
        body="Our receiver processed {event_type} twice for the same event id yesterday, and "
        "two invoices were sent to our customer. Why does Hookrelay deliver twice?\n\n{first}",
        reply="Hi {first},\n\ndelivery is at-least-once: if your endpoint processed the event "
        "but the 200 didn't reach us in 15 seconds, we retry. Deduplicate on the "
        "Hookrelay-Event-Id header (store processed ids for a few days). The Node SDK now has "
        "a helper for this; it ships in the next release.\n\n{agent}",
        fix=_pr("hookrelay-node", 412),
    ),
    Story(
        key="strict-ordering",
        category="Functional",
        product_area="deliveries",
        subjects=(
            "Events arrive out of order",
            "Need strict ordering per tenant",
            "{event_type} arrives before the create event",
        ),
        body="We receive {event_type} before the matching create event now and then, and our "
        "receiver fails because the record doesn't exist yet. Can Hookrelay deliver the "
        "events of one tenant ({tenant}) in order?\n\n{first}",
        reply="Hi {first},\n\ndelivery is unordered by design (concurrent requests and retries "
        "let later events overtake earlier ones). Today: compare the event's created_at with "
        "what you stored and fetch the current state when an update arrives first. Ordered "
        "delivery per tenant is a feature request we track; I've added {company} to it.\n\n"
        "{agent}",
        fix=_issue(IssueKind.FEATURE, "Ordered (FIFO) delivery per tenant"),
        weight=8,
    ),
    Story(
        key="replay-window-free",
        category="Usability",
        product_area="deliveries",
        subjects=("Cannot replay events older than 3 days", "Replay button greyed out"),
        body="We need to replay the events of last week for {tenant} but the Replay button is "
        "greyed out for anything older than 3 days.\n\n{first}",
        reply="Hi {first},\n\nthe replay window is 3 days on Free, 14 days on Pro and 30 days "
        "on Scale. Events older than your plan's window can't be replayed; if you upgrade, "
        "the longer window applies at once to the events still in the logs.\n\n{agent}",
        fix=_none("Plan limit as documented; the customer is considering Pro."),
        weight=2,
    ),
    Story(
        key="delivery-lag",
        category="Reliability",
        product_area="deliveries",
        subjects=("Deliveries delayed by 20+ minutes", "Big delivery delays this morning"),
        body="Since about {hour}:00 UTC our events are accepted right away but delivered "
        "{minutes} minutes later. Nothing changed on our side. Is there an incident?\n\n{first}",
        reply="Hi {first},\n\nyes: a queue in eu-west fell behind between {hour}:05 and "
        "{hour}:50 UTC; the status page has the incident. Everything queued was delivered, "
        "in full, and nothing was dropped. Engineering is tracking the cause.\n\n{agent}",
        fix=_issue(IssueKind.BUG, "Delivery queue lag in eu-west at peak load"),
        note="Flag for engineering: fourth report of the lag this month.",
        weight=5,
    ),
    Story(
        key="bulk-replay-skips",
        category="Functional",
        product_area="deliveries",
        subjects=("Bulk replay skips some failed deliveries", "Replay all misses deliveries"),
        body="After re-enabling {endpoint} we used Replay all on status:failed. {count} "
        "deliveries were replayed, but the ones that failed while the endpoint was disabled "
        "were not. Bug?\n\n{first}",
        reply="Hi {first},\n\nconfirmed: deliveries that were never attempted because the "
        "endpoint was disabled are stored as 'skipped', not 'failed', and Replay all ignores "
        "them. Filter on status:skipped and replay those too. I've filed it as a bug.\n\n"
        "{agent}",
        fix=_issue(IssueKind.BUG, "Replay all ignores deliveries skipped while disabled"),
        weight=4,
    ),
    # --- API keys -----------------------------------------------------------------------
    Story(
        key="401-after-roll",
        category="Functional",
        product_area="api-keys",
        subjects=("401 invalid_api_key after rolling our key", "Old key stopped working early"),
        body="We rolled our live key with a 24-hour overlap, but the old key started failing "
        "with 401 invalid_api_key after {minutes} minutes.\n\n{first}",
        reply="Hi {first},\n\nthe overlap was set to 'immediately' on the roll (the dialog "
        "keeps the last choice). I've checked the audit log with you; the new key works. We're "
        "making the chosen expiry clearer in the docs.\n\n{agent}",
        fix=_docs("api-keys/rotating-api-keys#choosing-the-expiry"),
    ),
    Story(
        key="insufficient-scope",
        category="Usability",
        product_area="api-keys",
        subjects=("403 insufficient_scope with a restricted key", "Which scopes for replays?"),
        body="Our restricted key has events:write and endpoints:read, but replaying "
        "deliveries returns 403 insufficient_scope. Which scope is missing?\n\n{first}",
        reply="Hi {first},\n\nreplays need deliveries:write. The error's 'required_scope' "
        "field names it too. Add the scope under API keys → the key → Edit scopes.\n\n{agent}",
        fix=_kb(
            "Which scope does each API endpoint need?",
            "# Which scope does each API endpoint need?\n\n| Request | Scope |\n|---|---|\n"
            "| `POST /v1/events` | `events:write` |\n| `GET /v1/deliveries` | "
            "`deliveries:read` |\n| `POST /v1/deliveries/{id}/replay` | `deliveries:write` |\n"
            "| `POST /v1/endpoints` | `endpoints:write` |\n\nA `403 insufficient_scope` "
            "error names the missing scope in `required_scope`.",
        ),
    ),
    Story(
        key="leaked-api-key",
        category="Abuse",
        product_area="api-keys",
        subjects=("Live API key pushed to a public repository", "Leaked hr_live_ key"),
        body="URGENT: a developer pushed our hr_live_ key ({key_prefix}…) to a public GitHub "
        "repository an hour ago. We think it may have been used. What do we do?\n\n{first}",
        reply="Hi {first},\n\nI revoked the key with you on the call; it stopped working at "
        "once. Its requests in the last 24 hours all came from your own IP range, so there is "
        "no sign of misuse. Create a new restricted key for the service. We're working on "
        "secret scanning so leaked keys are revoked automatically.\n\n{agent}",
        question="Our live API key was compromised, someone pushed it to GitHub. Please help",
        fix=_issue(
            IssueKind.FEATURE, "Secret scanning: revoke hr_live_ keys found in public repos"
        ),
        note="Checked the key's request log: only the customer's IPs. No misuse.",
    ),
    Story(
        key="key-ip-restriction",
        category="Usability",
        product_area="api-keys",
        subjects=("Key IP restriction blocks our new NAT gateway", "403 ip_not_allowed"),
        body="We moved our workers behind a new NAT gateway and every request now fails with "
        "403 ip_not_allowed.\n\n{first}",
        reply="Hi {first},\n\nthe key is restricted to your old egress IPs. Add the gateway's "
        "address under API keys → the key → Allowed IPs (CIDR ranges work).\n\n{agent}",
        fix=_none("Documented under key IP restrictions; customer configuration change only."),
        weight=2,
    ),
    # --- billing ------------------------------------------------------------------------
    Story(
        key="double-charge",
        category="Success Outreach",
        product_area="billing",
        subjects=("Charged twice this month", "Duplicate charge on invoice {invoice}"),
        body="We were charged twice for invoice {invoice}. Please refund one of the payments."
        "\n\n{first}, {company}",
        reply="Hi {first},\n\nyou're right: the card was charged twice after a retry of the "
        "payment provider. I've refunded the second charge; it shows on your statement in "
        "5-10 business days. Sorry for the trouble.\n\n{agent}",
        question="I was charged twice for invoice {invoice}, please refund one payment.",
        fix=_none("Refund issued for a duplicate charge; a payment-provider retry, not ours."),
        weight=4,
    ),
    Story(
        key="billing-email",
        category="Success Outreach",
        product_area="billing",
        subjects=("Send invoices to accounts payable", "Change billing email"),
        body="Could invoices go to ap@{domain} instead of to me? And can you resend {invoice} "
        "there?\n\n{first}",
        reply="Hi {first},\n\nan Owner or Billing member can change it under Settings → "
        "Billing → Billing email; new invoices go there at once. I've resent {invoice} to "
        "ap@{domain}.\n\n{agent}",
        fix=_none("Billing email change is self-serve and documented; resent the invoice."),
        weight=2,
    ),
    Story(
        key="overage-blocks",
        category="Success Outreach",
        product_area="billing",
        subjects=("Unexpected overage on our invoice", "What are these overage blocks?"),
        body="Invoice {invoice} has {count} overage blocks. We didn't expect to exceed our "
        "quota. How are deliveries counted?\n\n{first}",
        reply="Hi {first},\n\nevery delivery attempt to an endpoint counts once per endpoint; "
        "retries and replays count as new deliveries. Your retries on a failing endpoint "
        "were most of the overage. Fixing that endpoint brings you back under the quota.\n\n"
        "{agent}",
        fix=_kb(
            "How monthly deliveries and overage blocks are counted",
            "# How monthly deliveries and overage blocks are counted\n\n- One event sent to "
            "three endpoints is **three deliveries**.\n- Retries and replays are counted as "
            "deliveries.\n- Beyond your plan's quota, deliveries are billed in blocks of "
            "100,000 on the next invoice.\n\nA failing endpoint retried for a day can use "
            "many times its normal volume: fix or disable it to stop the overage.",
        ),
    ),
    Story(
        key="payment-failed",
        category="Success Outreach",
        product_area="billing",
        subjects=("Workspace downgraded after our card expired", "Payment failed"),
        body="Our card expired and the workspace was moved to Free. Our payment failed, can "
        "you restore Pro once we add a new card?\n\n{first}",
        reply="Hi {first},\n\nonce the new card is in Settings → Billing, pay the open "
        "invoice there and Pro is restored at once, with your endpoints and keys as they "
        "were.\n\n{agent}",
        question="Our payment failed because the card expired and the workspace was "
        "downgraded, please change the card on our subscription",
        fix=_none("Self-serve recovery after a failed payment; nothing to change upstream."),
        weight=2,
    ),
    Story(
        key="vat-id",
        category="Functional",
        product_area="billing",
        subjects=("Add our VAT ID to invoices", "VAT number missing on invoices"),
        body="Our finance team needs our VAT ID on every invoice, including the last "
        "{count} ones. Where can we add it?\n\n{first}",
        reply="Hi {first},\n\ntoday the VAT ID can only be added by our team, and past "
        "invoices can't be re-issued automatically. I've added it for future invoices and "
        "logged your request for a self-serve tax ID with re-issuing.\n\n{agent}",
        fix=_issue(IssueKind.FEATURE, "Tax ID on invoices, self-serve, with re-issuing"),
    ),
    # --- dashboard ----------------------------------------------------------------------
    Story(
        key="sso-okta-login",
        category="Usability",
        product_area="dashboard",
        subjects=("Can't sign in with SSO after enabling it", "Okta SAML login loops"),
        body="We enabled SAML SSO with Okta and now nobody can sign in: Okta shows the app, "
        "then we land on the Hookrelay login page again.\n\n{first}",
        reply="Hi {first},\n\nthe ACS URL in Okta must be exactly the one on Settings → SSO "
        "(it includes your workspace id), and the NameID format must be EmailAddress. Your "
        "Okta app uses the generic URL. Owners can still sign in with a password while you "
        "fix it.\n\n{agent}",
        follow_up="Fixed the ACS URL, SSO works for the whole team now.",
        fix=_kb(
            "SAML SSO with Okta: ACS URL and NameID",
            "# SAML SSO with Okta\n\nIf sign-in loops back to the login page:\n\n1. Copy the "
            "**ACS URL** from Settings → SSO; it contains your workspace id.\n2. Set "
            "**Name ID format** to `EmailAddress`.\n3. Assign the users in Okta.\n\nOwners "
            "can always sign in with their password to fix the configuration.",
        ),
        weight=4,
    ),
    Story(
        key="sso-on-pro",
        category="Success Outreach",
        product_area="dashboard",
        subjects=("Is SSO available on Pro?", "SAML SSO pricing"),
        body="Our security team requires SSO for all vendors. Is SAML available on Pro, or "
        "only on Scale?\n\n{first}",
        reply="Hi {first},\n\nSAML SSO is part of Scale. I've introduced you to our sales "
        "team, who can set up a Scale trial so you can test the rollout first.\n\n{agent}",
        fix=_none("Plan feature as documented; handed to sales for a Scale trial."),
        weight=2,
    ),
    Story(
        key="logs-search-tenant",
        category="Usability",
        product_area="dashboard",
        subjects=("How do I search logs by tenant?", "Filter deliveries by tenant"),
        body="Is there a way to see only the deliveries of tenant {tenant} in the dashboard? "
        "The search box doesn't seem to take the tenant id.\n\n{first}",
        reply="Hi {first},\n\ntype tenant:{tenant} in the search box (the prefix is needed); "
        "combine with status:failed or event_type:{event_type}.\n\n{agent}",
        fix=_docs("dashboard/logs-and-search#search-syntax"),
    ),
    Story(
        key="logs-export-timeout",
        category="Functional",
        product_area="dashboard",
        subjects=("CSV export fails for large date ranges", "Log export never finishes"),
        body="Exporting last month's deliveries as CSV spins and then fails. Smaller ranges "
        "work. We need it for an audit.\n\n{first}",
        reply="Hi {first},\n\nexports over about 50,000 rows time out today; this is a bug we "
        "track. Until it's fixed, export week by week or use GET /v1/deliveries with "
        "pagination.\n\n{agent}",
        fix=_issue(IssueKind.BUG, "Log CSV export times out above 50,000 rows"),
        weight=4,
    ),
    Story(
        key="lost-2fa",
        category="Usability",
        product_area="dashboard",
        subjects=("Lost my 2FA device", "Locked out: two-factor authentication"),
        body="I lost the phone with my authenticator app and can't sign in. I'm an Admin of "
        "the {company} workspace.\n\n{first}",
        reply="Hi {first},\n\nan Owner of your workspace can reset your two-factor "
        "authentication under Settings → Team; I've asked them and they did. Use the "
        "recovery codes next time.\n\n{agent}",
        fix=_none("Reset by the workspace Owner as documented; identity confirmed."),
        weight=2,
    ),
    Story(
        key="dashboard-502",
        category="Reliability",
        product_area="dashboard",
        subjects=("Dashboard returns 502", "Logs page is down"),
        body="The Deliveries page of the dashboard answers 502 Bad Gateway since a few "
        "minutes. The API still works.\n\n{first}",
        reply="Hi {first},\n\nthe logs service restarted during a deploy and the page was "
        "unavailable for about {minutes} minutes; it's back. Engineering is making deploys "
        "of that service zero-downtime.\n\n{agent}",
        fix=_issue(IssueKind.BUG, "Dashboard logs page answers 502 during deploys"),
        weight=3,
    ),
    # --- SDKs ---------------------------------------------------------------------------
    Story(
        key="v0-sdk-migration",
        category="Usability",
        product_area="sdks",
        subjects=("Migrating from the v0 Python SDK", "send() signature changed in 1.x"),
        body="Upgrading from hookrelay 0.9 to {sdk_version}: client.send(event_type, payload) "
        "now raises TypeError. What's the new call?\n\n{first}",
        reply="Hi {first},\n\nin 1.x it's client.events.send(type=..., tenant=..., "
        "payload=...); tenant is now required. The migration guide lists every renamed call."
        "\n\n{agent}",
        fix=_docs("sdks/sdk-overview#migrating-from-v0"),
    ),
    Story(
        key="node-sdk-edge",
        category="Functional",
        product_area="sdks",
        subjects=("Node SDK fails in the Next.js edge runtime", "TypeError in @hookrelay/node"),
        body="@hookrelay/node {sdk_version} throws 'crypto.createHmac is not a function' in a "
        "Next.js edge route. It works in the Node runtime.\n\n{first}",
        reply="Hi {first},\n\nthe edge runtime has Web Crypto only; the SDK used Node's "
        "crypto module. A fix that uses crypto.subtle when it's available is merged and "
        "ships in the next release.\n\n{agent}",
        fix=_pr("hookrelay-node", 431),
    ),
    Story(
        key="go-sdk-retry-duplicates",
        category="Functional",
        product_area="sdks",
        subjects=("Go SDK creates duplicate events", "Retries in the Go SDK duplicate events"),
        body="With the Go SDK, a slow POST /v1/events is retried by the client and we get two "
        "events with different ids. Shouldn't the retry reuse an idempotency key?\n\n{first}",
        reply="Hi {first},\n\nyes, it should: the Go SDK doesn't send an Idempotency-Key on "
        "its own retries yet. Pass one yourself with hookrelay.WithIdempotencyKey for now. "
        "Filed as a bug.\n\n{agent}",
        fix=_issue(IssueKind.BUG, "Go SDK retries POST /v1/events without an idempotency key"),
    ),
    # --- limits and errors ----------------------------------------------------------------
    Story(
        key="rate-limited-batch",
        category="Functional",
        product_area="limits-and-errors",
        subjects=("429 rate_limited when sending in bulk", "Too many requests on batch sends"),
        body="Our nightly job sends about {count}00 events and gets 429 rate_limited after a "
        "few seconds. We're on {tier}.\n\n{first}",
        reply="Hi {first},\n\nuse POST /v1/events/batch (up to 100 events per request) and "
        "honour the Retry-After header; the SDKs do both for you. That's 100 times fewer "
        "requests for the same events.\n\n{agent}",
        fix=_kb(
            "Staying under the API rate limit with batch sends",
            "# Staying under the API rate limit\n\n- Send up to **100 events per request** "
            "with `POST /v1/events/batch`.\n- On `429`, wait for `Retry-After` seconds.\n- "
            "Watch `RateLimit-Remaining` to slow down before you hit the limit.\n\nThe SDKs "
            "batch and back off automatically.",
        ),
        weight=5,
    ),
    Story(
        key="raise-rate-limit",
        category="Success Outreach",
        product_area="limits-and-errors",
        subjects=("Raise our API rate limit", "Higher rate limit for a launch"),
        body="We launch a campaign next week and expect bursts of 300 requests per second. "
        "Could you raise our rate limit?\n\n{first}, {company}",
        reply="Hi {first},\n\nI've raised your workspace to 300 requests per second for the "
        "next 30 days, and I've asked our sales team to talk about Scale, where the limit is "
        "set per contract.\n\n{agent}",
        question="Can you increase the rate limit of our workspace to 300 requests per second?",
        fix=_none("Temporary limit raise granted; sales follows up on a Scale contract."),
        weight=3,
    ),
    Story(
        key="payload-too-large",
        category="Functional",
        product_area="limits-and-errors",
        subjects=("413 payload_too_large for 300 KB events", "Payload limit too small"),
        body="Some of our {event_type} events are around 300 KB and are rejected with 413 "
        "payload_too_large. Can the limit be raised?\n\n{first}",
        reply="Hi {first},\n\nthe limit is 256 KB on every plan. Send a reference instead "
        "(an id or a signed URL to the document) and let the receiver fetch it. I've added "
        "your use case to the request for larger payloads.\n\n{agent}",
        fix=_issue(IssueKind.FEATURE, "Larger event payloads (1 MB) on Scale"),
        weight=3,
    ),
    Story(
        key="events-api-503",
        category="Reliability",
        product_area="limits-and-errors",
        subjects=("POST /v1/events returns 503 intermittently", "Intermittent 503 from the API"),
        body="About 1 in {count} requests to POST /v1/events fails with 503 since yesterday. "
        "Request id of one: req_{hex}.\n\n{first}",
        reply="Hi {first},\n\nthanks for the request id: a load balancer node was draining "
        "connections badly after a deploy. It's out of rotation now. The SDKs retry 503 "
        "safely with an idempotency key.\n\n{agent}",
        fix=_issue(IssueKind.BUG, "Intermittent 503 from the events API after deploys"),
        note="Flagging for engineering: several customers in the same hour.",
        weight=4,
    ),
    # --- getting started ----------------------------------------------------------------
    Story(
        key="first-event-nothing",
        category="Usability",
        product_area="getting-started",
        subjects=("Sent my first event but nothing was delivered", "Event accepted, no delivery"),
        body="I followed the quickstart: the event is accepted (202) and shows in Events, but "
        "Deliveries is empty and my endpoint gets nothing.\n\n{first}",
        reply="Hi {first},\n\nthe event's tenant is '{tenant}' but the endpoint belongs to "
        "tenant 'default'. Events are delivered only to the endpoints of their own tenant. "
        "Send with the endpoint's tenant and it arrives.\n\n{agent}",
        follow_up="That was it. The tenant idea makes sense now.",
        fix=_kb(
            "Events and endpoints must share a tenant",
            "# Events and endpoints must share a tenant\n\nAn event is delivered only to "
            "endpoints of **the same tenant**. If an event is accepted but no delivery "
            "appears, compare the event's `tenant` with the endpoint's.\n\nAlso check the "
            "endpoint's event-type filter and that both are in the same mode (test or live).",
        ),
        weight=5,
    ),
    Story(
        key="quickstart-401",
        category="Usability",
        product_area="getting-started",
        subjects=("Quickstart curl returns 401", "invalid_api_key on my first request"),
        body="The curl command from the quickstart returns 401 invalid_api_key. I pasted my "
        "key from the dashboard.\n\n{first}",
        reply="Hi {first},\n\nthe quickstart shows a test key (hr_test_) while your workspace "
        "is in live mode, so the key was for the wrong mode. We're making the quickstart say "
        "so.\n\n{agent}",
        fix=_docs("getting-started/quickstart#api-keys"),
    ),
    # --- abuse --------------------------------------------------------------------------
    Story(
        key="unsolicited-webhooks",
        category="Abuse",
        product_area="endpoints",
        subjects=("Your servers are POSTing to us, we never signed up", "Unwanted webhooks"),
        body="Our server has received thousands of POST requests from Hookrelay IP ranges "
        "today, to /api/{tenant}. We are not a Hookrelay customer. Please stop it.\n\n"
        "{first}, {company}",
        reply="Hi {first},\n\nthank you for the report. A workspace had registered your URL "
        "as an endpoint; we've disabled the endpoint and suspended the workspace while we "
        "investigate. You shouldn't receive anything further.\n\n{agent}",
        fix=_none("Abusive workspace suspended; endpoint disabled. Trust & safety has the case."),
        note="Sender workspace ws_{hex} suspended. Flagged for trust & safety.",
        weight=2,
    ),
    Story(
        key="suspicious-member",
        category="Abuse",
        product_area="dashboard",
        subjects=("Unknown team member in our workspace", "Someone we don't know joined"),
        body="There's a team member in our workspace we don't know, added {count} days ago. "
        "Could this be unauthorized access? Who invited them?\n\n{first}",
        reply="Hi {first},\n\nthe invitation came from one of your Admins (a contractor "
        "account). I've removed the member with your OK and shared the sign-in history. We "
        "want to give you an audit log of team changes in the dashboard.\n\n{agent}",
        question="We found an unknown team member, I think this is unauthorized access to our "
        "workspace",
        fix=_issue(IssueKind.FEATURE, "Audit log of team and role changes in the dashboard"),
        weight=2,
    ),
    # --- Success Outreach: the team writes first ------------------------------------------
    Story(
        key="quota-approaching",
        category="Success Outreach",
        product_area="billing",
        subjects=("You're at {percent}% of this month's deliveries",),
        body="Hi {first},\n\n{company} has used {percent}% of the deliveries included in "
        "your plan this month, with {count} days to go. Overage is billed in blocks, so we "
        "wanted you to know early. Happy to walk through the options.\n\n{agent}",
        reply="Great, I've sent you the comparison of Pro and Scale for your volume. Pro's "
        "annual billing covers your peak months too.\n\n{agent}",
        follow_up="Thanks for the heads-up! What would the upgrade cost us?",
        fix=_none("Proactive quota notice; the customer upgraded. Nothing to change upstream."),
        outreach=True,
        weight=4,
    ),
    Story(
        key="v0-sdk-outreach",
        category="Success Outreach",
        product_area="sdks",
        subjects=("Your integration still uses the v0 SDK",),
        body="Hi {first},\n\nsome of {company}'s requests still come from the v0 Python SDK, "
        "which stops being supported at the end of the quarter. The migration takes most "
        "teams an hour; here's the guide. Want us to review your upgrade?\n\n{agent}",
        reply="Happy to help: the two calls you use map to client.events.send and "
        "client.endpoints.list in 1.x.\n\n{agent}",
        follow_up="Thanks, we'll schedule it for next sprint. Anything special about endpoints?",
        fix=_docs("sdks/sdk-overview#migrating-from-v0"),
        outreach=True,
        weight=2,
    ),
    Story(
        key="failing-endpoint-outreach",
        category="Success Outreach",
        product_area="endpoints",
        subjects=("One of your endpoints has been failing for 2 days",),
        body="Hi {first},\n\nendpoint {endpoint} (tenant {tenant}) has failed every delivery "
        "for 2 days with TLS errors. After 3 days it is disabled automatically. Could someone "
        "on your side take a look?\n\n{agent}",
        reply="Glad it's sorted. Once the certificate is renewed, replay the failed "
        "deliveries from the Deliveries page.\n\n{agent}",
        follow_up="Thank you! Our certificate had expired; renewed it now.",
        fix=_issue(IssueKind.FEATURE, "Warn by email 24 hours before auto-disabling an endpoint"),
        outreach=True,
        weight=3,
    ),
    Story(
        key="sso-rollout-outreach",
        category="Success Outreach",
        product_area="dashboard",
        subjects=("Planning your SSO rollout",),
        body="Hi {first},\n\nnow that {company} is on Scale, SAML SSO is available. Most teams "
        "roll it out in an afternoon: configure, test with one Admin, then require it. Shall "
        "we plan it together?\n\n{agent}",
        reply="Sent the checklist. Keep one Owner with a password as a break-glass account."
        "\n\n{agent}",
        follow_up="Yes please, we use Azure AD. Is there a checklist?",
        fix=_docs("dashboard/team-members-and-sso#azure-ad"),
        outreach=True,
        weight=2,
    ),
)

# Customer messages and staff lines that fit any story: the middle of longer threads.
CUSTOMER_LINES: tuple[str, ...] = (
    "Thanks for the quick answer, trying that now.",
    "We're still seeing the same error on {endpoint}, anything else we can check?",
    "Attached the request id of a failing attempt: req_{hex}.",
    "Our on-call engineer confirmed the change is deployed.",
    "Can you confirm nothing was lost on your side?",
    "That worked for tenant {tenant}, but not for the others yet.",
    "Is there a way to get notified next time this happens?",
    "Quick follow-up: does this also apply to test mode?",
)
STAFF_LINES: tuple[str, ...] = (
    "Following up: did the change fix it for {tenant}?",
    "I've checked the attempts on {endpoint}; the last {count} all succeeded.",
    "Engineering confirmed the cause; I'll update you here when the fix ships.",
    "Closing the loop: let us know if anything else comes up.",
)
NOTE_LINES: tuple[str, ...] = (
    "Customer is on {tier}; renewal in {count} days.",
    "Checked logs for {endpoint}: TLS handshake errors until yesterday.",
    "Same question as last week from another tenant of {company}.",
    "Agent answer was close; the docs page misses the example.",
)

EVENT_TYPES = (
    "invoice.paid",
    "order.updated",
    "shipment.delivered",
    "user.created",
    "subscription.renewed",
    "payment.failed",
    "booking.cancelled",
)
SDK_VERSIONS = ("1.8.2", "1.7.0", "1.11.0", "1.10.3")


def details(rng: random.Random, *, first: str, company: str, tenant: str, domain: str,
            tier: str, agent: str) -> dict[str, str]:  # fmt: skip
    """The fields a story's templates are filled with, drawn from ``rng``."""
    alphabet = string.ascii_lowercase + string.digits
    return {
        "first": first,
        "company": company,
        "tenant": tenant,
        "domain": domain,
        "tier": tier.capitalize(),
        "agent": agent,
        "endpoint": "ep_" + "".join(rng.choices(alphabet, k=12)),
        "event_type": rng.choice(EVENT_TYPES),
        "invoice": f"HR-2026-{rng.randint(1000, 9999):06d}",
        "count": str(rng.randint(3, 40)),
        "minutes": str(rng.randint(12, 55)),
        "percent": str(rng.choice((80, 85, 90, 95))),
        "hour": f"{rng.randint(6, 20):02d}",
        "hex": f"{rng.getrandbits(48):012x}",
        "key_prefix": "hr_live_" + "".join(rng.choices(alphabet, k=4)),
        "node_version": rng.choice(("18.19", "20.11", "22.3")),
        "sdk_version": rng.choice(SDK_VERSIONS),
    }


def pick_story(rng: random.Random) -> Story:
    return rng.choices(STORIES, weights=[s.weight for s in STORIES])[0]


__all__ = [
    "CUSTOMER_LINES",
    "NOTE_LINES",
    "STAFF_LINES",
    "STORIES",
    "Fix",
    "Story",
    "details",
    "pick_story",
]
