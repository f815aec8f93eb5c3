"""The taxonomy: ticket categories and product areas, read from ``taxonomy.yaml``.

Format (documented in docs/taxonomy.md)::

    front_matter_fields: [product_area, area]   # front-matter keys naming a product area
    categories:
      - name: Reliability
        description: Something we run failed or degraded.
    product_areas:
      - slug: domains
        name: Domains
        description: Adding and verifying sending domains.
        paths: ["domains/**", "knowledge-base/*domain*"]   # globs on the path in the source
        front_matter: [domains, dns]                       # front-matter values that map here

A document's product area is the first area whose ``front_matter`` values (or slug or name)
match a front-matter field, else the first area whose ``paths`` match its path.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

DEFAULT_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("Reliability", "Something we run failed or degraded: outages, errors, slowness."),
    ("Usability", "The product works but was hard to understand or use."),
    ("Functional", "A missing capability or a bug in what the product does."),
    ("Deliverability", "What the customer sent did not arrive where it should."),
    ("Abuse", "Spam, fraud, phishing or another misuse of the service."),
    ("Success Outreach", "We contacted the customer first, to help them succeed."),
)


class TaxonomyError(ValueError):
    """A taxonomy file that cannot be used; the message names the file and the field."""


class Category(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    description: str = ""


class ProductArea(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1)
    description: str = ""
    paths: list[str] = Field(default_factory=list)
    front_matter: list[str] = Field(default_factory=list)

    def matches_value(self, value: str) -> bool:
        wanted = value.strip().lower()
        names = {self.slug, self.name.lower(), *(v.lower() for v in self.front_matter)}
        return wanted in names

    def matches_path(self, path: str) -> bool:
        return any(fnmatchcase(path, pattern) for pattern in self.paths)


class Taxonomy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    front_matter_fields: list[str] = Field(
        default_factory=lambda: ["product_area", "product-area", "area"]
    )
    categories: list[Category] = Field(
        default_factory=lambda: [Category(name=n, description=d) for n, d in DEFAULT_CATEGORIES]
    )
    product_areas: list[ProductArea] = Field(default_factory=list)

    @field_validator("product_areas")
    @classmethod
    def _unique_slugs(cls, areas: list[ProductArea]) -> list[ProductArea]:
        slugs = [area.slug for area in areas]
        duplicates = sorted({slug for slug in slugs if slugs.count(slug) > 1})
        if duplicates:
            raise ValueError(f"duplicate product area slug(s): {', '.join(duplicates)}")
        return areas

    def product_area_for(self, *, path: str, front_matter: dict[str, Any]) -> str | None:
        """The slug of the product area a document belongs to, or None."""
        for field in self.front_matter_fields:
            value = front_matter.get(field)
            if isinstance(value, str) and value.strip():
                for area in self.product_areas:
                    if area.matches_value(value):
                        return area.slug
        for area in self.product_areas:
            if area.matches_path(path):
                return area.slug
        return None

    def area(self, slug: str) -> ProductArea | None:
        return next((area for area in self.product_areas if area.slug == slug), None)


def _describe(error: ValidationError, path: Path) -> str:
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        problems.append(f"{where}: {item['msg']}")
    return f"{path}: invalid taxonomy: " + "; ".join(problems)


# Parsed files by (path, modification time, size): pages and close forms read the taxonomy
# on every request, and parsing YAML takes milliseconds. An edited file is read again.
_LOADED: dict[tuple[str, int, int], Taxonomy] = {}
_LOADED_MAX = 32


def load_taxonomy(path: Path) -> Taxonomy:
    """Read and validate a taxonomy file (shared between callers: read it, don't change it)."""
    try:
        facts = path.stat()
    except OSError as error:
        raise TaxonomyError(f"{path}: cannot read taxonomy: {error.strerror}") from error
    key = (str(path.resolve()), facts.st_mtime_ns, facts.st_size)
    taxonomy = _LOADED.get(key)
    if taxonomy is None:
        taxonomy = _parse(path)
        if len(_LOADED) >= _LOADED_MAX:
            _LOADED.clear()
        _LOADED[key] = taxonomy
    return taxonomy


def _parse(path: Path) -> Taxonomy:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise TaxonomyError(f"{path}: cannot read taxonomy: {error.strerror}") from error
    except yaml.YAMLError as error:
        raise TaxonomyError(f"{path}: not valid YAML: {error}") from error
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise TaxonomyError(f"{path}: invalid taxonomy: the top level must be a mapping")
    try:
        return Taxonomy.model_validate(data)
    except ValidationError as error:
        raise TaxonomyError(_describe(error, path)) from error


def find_taxonomy(*folders: Path) -> Taxonomy:
    """The ``taxonomy.yaml`` of the first of ``folders`` that has one, else the defaults."""
    for folder in folders:
        path = folder / "taxonomy.yaml"
        if path.is_file():
            return load_taxonomy(path)
    return Taxonomy()


__all__ = [
    "DEFAULT_CATEGORIES",
    "Category",
    "ProductArea",
    "Taxonomy",
    "TaxonomyError",
    "find_taxonomy",
    "load_taxonomy",
]
