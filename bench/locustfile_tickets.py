"""Load for ``bench/desk_speed.py``: tickets created through the REST API, as fast as it goes.

    BENCH_API_TOKEN=tc_... locust -f bench/locustfile_tickets.py --headless -u 32 -r 32 \
        -t 30s --host http://127.0.0.1:8765 --csv /tmp/tickets

Each user posts ``POST /api/v1/tickets`` without waiting between requests. Four in five
tickets come from one of the benchmark database's customers (found by email), one in five
from a new customer (created by the request). Subjects and bodies are the demo's stories.
"""

from __future__ import annotations

import os
import random
import uuid

from locust import FastHttpUser, task

from trycatch.demo.stories import STORIES, details

TOKEN = os.environ.get("BENCH_API_TOKEN", "")
CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "5000"))


class TicketCreator(FastHttpUser):
    def on_start(self) -> None:
        self.rng = random.Random()
        self.headers = {"Authorization": f"Bearer {TOKEN}"}

    @task
    def create_ticket(self) -> None:
        rng = self.rng
        story = rng.choice(STORIES)
        if rng.random() < 0.8:
            number = rng.randrange(CUSTOMERS)
            email, name = f"customer{number}@bench.example", f"Customer {number}"
        else:
            email, name = f"new-{uuid.uuid4().hex}@bench.example", "New Customer"
        fields = details(
            rng,
            first=name.split()[0],
            company="Bench Co",
            tenant="tenant-1",
            domain="bench.example",
            tier="pro",
            agent="Alex",
        )
        self.client.post(
            "/api/v1/tickets",
            json={
                "customer": {"email": email, "name": name},
                "subject": rng.choice(story.subjects).format_map(fields),
                "body": story.body.format_map(fields),
            },
            headers=self.headers,
            name="POST /api/v1/tickets",
        )
