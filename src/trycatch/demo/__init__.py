"""The demo: Hookrelay's support team, its customers and 90 days of tickets.

Built on the sample help center (``trycatch.knowledge.sample``) by ``trycatch demo``:

- ``people``: the staff logins (the admin's password is printed on start) and customers,
- ``stories``: what customers write about and what each ticket left behind upstream,
- ``seed``: ``seed_demo``, which tells those stories through the service functions.
"""

from trycatch.demo.people import DEMO_ADMIN_EMAIL, DEMO_PASSWORD
from trycatch.demo.seed import SeedReport, seed_demo

__all__ = ["DEMO_ADMIN_EMAIL", "DEMO_PASSWORD", "SeedReport", "seed_demo"]
