"""Custom HTTP tools a team gives its agent, declared in ``tools.yaml``.

Format (documented in docs/agent.md)::

    tools:
      - name: domain_status
        description: Look up the verification status of one of the customer's domains.
        method: GET
        url: https://internal.example.com/domains/{domain}/status
        parameters:                    # JSON schema of the arguments the model fills in
          type: object
          properties:
            domain: {type: string, description: "The domain name"}
          required: [domain]
        headers:
          Authorization: "Bearer ${DOMAIN_API_TOKEN}"   # ${NAME}: from the environment
        timeout_seconds: 5

``{name}`` placeholders in the URL take arguments; the other arguments go in the query
string (GET/DELETE) or a JSON body. Header values are read from the environment when the
tool runs and are never shown to the model. Every request carries the current customer in
``X-Trycatch-Customer`` so the service can scope its answer to that customer only.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

RESERVED_TOOL_NAMES = frozenset({"search_docs", "read_document", "escalate_to_human"})
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ToolsFileError(ValueError):
    """A tools.yaml that cannot be used; the message names the file and the field."""


class HttpTool(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    description: str = Field(min_length=1)
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    url: str = Field(pattern=r"^https?://")
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    headers: dict[str, str] = Field(default_factory=dict)
    timeout_seconds: float = Field(default=5.0, gt=0, le=60)

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, name: str) -> str:
        if name in RESERVED_TOOL_NAMES:
            raise ValueError(f"'{name}' is a built-in tool")
        return name

    @field_validator("parameters")
    @classmethod
    def _object_schema(cls, schema: dict[str, Any]) -> dict[str, Any]:
        if schema.get("type") != "object":
            raise ValueError("must be a JSON schema with type: object")
        return schema

    def resolved_headers(self) -> dict[str, str]:
        """Header values with ``${NAME}`` taken from the environment; a header whose
        variable is unset is left out rather than sent half-empty."""
        headers: dict[str, str] = {}
        for name, template in self.headers.items():
            missing = [m for m in _ENV.findall(template) if not os.environ.get(m)]
            if not missing:
                headers[name] = _ENV.sub(lambda m: os.environ[m.group(1)], template).strip()
        return headers


class ToolsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tools: list[HttpTool] = Field(default_factory=list)


def load_tools(path: Path) -> list[HttpTool]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as error:
        raise ToolsFileError(f"{path}: cannot read: {error.strerror}") from error
    except yaml.YAMLError as error:
        raise ToolsFileError(f"{path}: not valid YAML: {error}") from error
    try:
        tools = ToolsFile.model_validate(data).tools
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise ToolsFileError(f"{path}: invalid tools file: {problems}") from error
    names = [tool.name for tool in tools]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ToolsFileError(f"{path}: duplicate tool name(s): {', '.join(duplicates)}")
    return tools


__all__ = ["RESERVED_TOOL_NAMES", "HttpTool", "ToolsFileError", "load_tools"]
