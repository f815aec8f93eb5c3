"""Who is in the demo: Hookrelay's support team and the customers who write to it.

Every name, company and address here is invented for the demo; addresses use the reserved
``.example`` domain, so nothing the demo sends can reach a real mailbox.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from trycatch.desk.models import Role

DEMO_ADMIN_EMAIL = "admin@hookrelay.example"
# Printed on start; the demo database is a local toy, never a deployment.
DEMO_PASSWORD = "trycatch-demo"


@dataclass(frozen=True, slots=True)
class StaffMember:
    email: str
    name: str
    role: Role


STAFF: tuple[StaffMember, ...] = (
    StaffMember(DEMO_ADMIN_EMAIL, "Alex Moreau", Role.ADMIN),
    StaffMember("maya@hookrelay.example", "Maya Okafor", Role.AGENT),
    StaffMember("jonas@hookrelay.example", "Jonas Lindqvist", Role.AGENT),
    StaffMember("priya@hookrelay.example", "Priya Raman", Role.AGENT),
    StaffMember("sam@hookrelay.example", "Sam Whitfield", Role.VIEWER),
)


@dataclass(frozen=True, slots=True)
class Company:
    name: str
    domain: str
    tier: str  # free, pro or scale: Hookrelay's plans
    tenants: tuple[str, ...]  # the tenant ids they use in Hookrelay


COMPANIES: tuple[Company, ...] = (
    Company("Parcelpoint", "parcelpoint.example", "scale", ("merchant-4412", "merchant-0087")),
    Company("Lumen Ledger", "lumenledger.example", "pro", ("acct-eu-21", "acct-us-7")),
    Company("Brightdesk", "brightdesk.example", "pro", ("org_5512", "org_918")),
    Company("Fernway Travel", "fernway.example", "scale", ("agency-lisbon", "agency-oslo")),
    Company("Quillstack", "quillstack.example", "free", ("default",)),
    Company("Orchard Health", "orchardhealth.example", "scale", ("clinic-204", "clinic-311")),
    Company("Tidepool Analytics", "tidepool.example", "pro", ("ws-north", "ws-south")),
    Company("Kettle & Crumb", "kettlecrumb.example", "free", ("shop-main",)),
    Company("Northwind Freight", "northwindfreight.example", "scale", ("carrier-88", "depot-3")),
    Company("Papertrail Legal", "papertrail-legal.example", "pro", ("firm-1029",)),
    Company("Sablefish Games", "sablefish.example", "pro", ("studio-eu", "studio-na")),
    Company("Gridline Energy", "gridline.example", "scale", ("site-0431", "site-0977")),
    Company("Mosaic CRM", "mosaiccrm.example", "pro", ("tenant-acme", "tenant-globex")),
    Company("Bluefin Payroll", "bluefinpayroll.example", "scale", ("employer-551",)),
    Company("Copperleaf Books", "copperleaf.example", "free", ("store-1",)),
    Company("Harborview Property", "harborview.example", "pro", ("building-12", "building-40")),
    Company("Wrenfield School Apps", "wrenfield.example", "free", ("district-9",)),
    Company("Atlas Fleet", "atlasfleet.example", "scale", ("fleet-204", "fleet-377")),
    Company("Pinecone Clinics", "pineconeclinics.example", "pro", ("location-7",)),
    Company("Vantage Insurance", "vantage-ins.example", "scale", ("broker-17", "broker-52")),
    Company("Driftwood Studio", "driftwood.example", "free", ("client-portal",)),
    Company("Lattice Forms", "latticeforms.example", "pro", ("form-owner-33", "form-owner-81")),
    Company("Saltmarsh Foods", "saltmarsh.example", "pro", ("outlet-6",)),
    Company("Kiteline Events", "kiteline.example", "free", ("events-prod",)),
    Company("Ironbark Security", "ironbark.example", "scale", ("soc-eu", "soc-apac")),
    Company("Meadowlark Music", "meadowlark.example", "pro", ("label-11",)),
    Company("Cobalt Ride", "cobaltride.example", "scale", ("city-berlin", "city-madrid")),
    Company("Thimble Crafts", "thimble.example", "free", ("seller-204",)),
    Company("Foxglove Bank", "foxglovebank.example", "scale", ("branch-core", "branch-cards")),
    Company("Riverstone Logistics", "riverstone.example", "pro", ("hub-leeds", "hub-york")),
)

# (first name, last name) pairs; two people per company, in COMPANIES order.
_PEOPLE: tuple[tuple[str, str], ...] = (
    ("Lena", "Fischer"),
    ("Tomás", "Herrera"),
    ("Aisha", "Bello"),
    ("Greg", "Palmer"),
    ("Mei", "Tanaka"),
    ("Oliver", "Grant"),
    ("Sofia", "Marques"),
    ("Erik", "Nilsen"),
    ("Dana", "Whitaker"),
    ("Ravi", "Iyer"),
    ("Hannah", "Cole"),
    ("Marcus", "Adeyemi"),
    ("Chloé", "Bernard"),
    ("Felix", "Wagner"),
    ("Nora", "Kelly"),
    ("Yusuf", "Demir"),
    ("Ingrid", "Berg"),
    ("Carlos", "Ruiz"),
    ("Zoe", "Campbell"),
    ("Arjun", "Mehta"),
    ("Keiko", "Sato"),
    ("Liam", "O'Connor"),
    ("Fatima", "Haddad"),
    ("Ben", "Schulz"),
    ("Olga", "Petrova"),
    ("Daniel", "Kim"),
    ("Grace", "Mwangi"),
    ("Pavel", "Novak"),
    ("Emma", "Laurent"),
    ("Noah", "Fitzgerald"),
    ("Lucía", "Gómez"),
    ("Samir", "Khan"),
    ("Ruth", "Abrams"),
    ("Jakob", "Huber"),
    ("Ama", "Owusu"),
    ("Connor", "Walsh"),
    ("Elif", "Yilmaz"),
    ("Mateo", "Silva"),
    ("Hana", "Novotná"),
    ("Victor", "Dubois"),
    ("Priyanka", "Shah"),
    ("Owen", "Hughes"),
    ("Leila", "Rahimi"),
    ("Stefan", "Kowalski"),
    ("Isla", "MacLeod"),
    ("Kofi", "Boateng"),
    ("Julia", "Lindgren"),
    ("Diego", "Navarro"),
    ("Anika", "Bose"),
    ("Theo", "Papadopoulos"),
    ("Mira", "Halvorsen"),
    ("Jun", "Park"),
    ("Clara", "Vogel"),
    ("Rafael", "Costa"),
    ("Nadia", "Petrescu"),
    ("Sean", "Brennan"),
    ("Yara", "Haddad"),
    ("Lukas", "Steiner"),
    ("Imogen", "Price"),
    ("Tariq", "Aziz"),
)


@dataclass(frozen=True, slots=True)
class DemoCustomer:
    email: str
    name: str
    company: Company

    @property
    def first_name(self) -> str:
        return self.name.split()[0]


def _email(first: str, company: Company) -> str:
    plain = unicodedata.normalize("NFKD", first.lower()).encode("ascii", "ignore").decode()
    return f"{plain}@{company.domain}"


CUSTOMERS: tuple[DemoCustomer, ...] = tuple(
    DemoCustomer(_email(first, COMPANIES[i // 2]), f"{first} {last}", COMPANIES[i // 2])
    for i, (first, last) in enumerate(_PEOPLE)
)

__all__ = [
    "COMPANIES",
    "CUSTOMERS",
    "DEMO_ADMIN_EMAIL",
    "DEMO_PASSWORD",
    "STAFF",
    "Company",
    "DemoCustomer",
    "StaffMember",
]
