"""``trycatch kb``: knowledge-base articles written in the app."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from trycatch.cli.context import console, fail, print_json, state
from trycatch.knowledge.articles import (
    ArticleError,
    ArticleNotFound,
    create_article,
    edit_article,
    get_article,
    list_articles,
    publish_article,
    unpublish_article,
)
from trycatch.knowledge.models import Article, ArticleStatus

app = typer.Typer(help="Write, edit, publish and unpublish KB articles.", no_args_is_help=True)

AuthorOption = Annotated[
    str | None, typer.Option(help="Who makes the change (default: the current user).")
]


def _author(author: str | None) -> str:
    return author or getpass.getuser()


def _body(body: str | None, body_file: Path | None, *, required: bool) -> str | None:
    if body is not None and body_file is not None:
        fail("give --body or --body-file, not both", code=2)
    if body_file is not None:
        try:
            return body_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            fail(f"{body_file}: cannot read: {error}")
    if body is None and required:
        fail("body: give --body TEXT or --body-file FILE", code=2)
    return body


def _summary(article: Article) -> dict[str, object]:
    return {
        "slug": article.slug,
        "title": article.title,
        "status": str(article.status),
        "product_area": article.product_area,
        "version": len(article.versions),
        "updated_at": article.updated_at.isoformat(),
    }


@app.command("create")
def create(
    ctx: typer.Context,
    title: Annotated[str, typer.Option(help="Article title.")],
    body: Annotated[str | None, typer.Option(help="Markdown body.")] = None,
    body_file: Annotated[Path | None, typer.Option(help="Read the body from a file.")] = None,
    product_area: Annotated[str | None, typer.Option(help="Product area slug.")] = None,
    slug: Annotated[
        str | None, typer.Option(help="URL slug (default: made from the title).")
    ] = None,
    publish: Annotated[bool, typer.Option(help="Publish at once.")] = False,
    author: AuthorOption = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create a draft article (or publish it at once with --publish)."""
    text = _body(body, body_file, required=True)
    assert text is not None
    with state(ctx).database().session() as session:
        try:
            article = create_article(
                session,
                title=title,
                body=text,
                product_area=product_area,
                slug=slug,
                author=_author(author),
            )
            if publish:
                article = publish_article(
                    session,
                    slug=article.slug,
                    actor=_author(author),
                    embedder=state(ctx).embedder(),
                )
        except ArticleError as error:
            fail(str(error))
        _print(article, as_json, f"created {article.slug} ({article.status})")


@app.command("edit")
def edit(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument()],
    title: Annotated[str | None, typer.Option()] = None,
    body: Annotated[str | None, typer.Option()] = None,
    body_file: Annotated[Path | None, typer.Option()] = None,
    product_area: Annotated[str | None, typer.Option()] = None,
    note: Annotated[str, typer.Option(help="What changed, for the history.")] = "",
    author: AuthorOption = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Save a new version; a published article is updated live."""
    text = _body(body, body_file, required=False)
    with state(ctx).database().session() as session:
        try:
            article = edit_article(
                session,
                slug=slug,
                title=title,
                body=text,
                product_area=product_area,
                note=note,
                author=_author(author),
                embedder=state(ctx).embedder(),
            )
        except (ArticleError, ArticleNotFound) as error:
            fail(str(error))
        _print(article, as_json, f"saved {slug} version {len(article.versions)}")


def _change_status(
    ctx: typer.Context, slug: str, author: str | None, *, publish: bool
) -> dict[str, object]:
    """Publish or unpublish; the article's summary, read while the session is open."""
    with state(ctx).database().session() as session:
        try:
            if publish:
                article = publish_article(
                    session, slug=slug, actor=_author(author), embedder=state(ctx).embedder()
                )
            else:
                article = unpublish_article(session, slug=slug, actor=_author(author))
            return _summary(article)
        except ArticleNotFound as error:
            fail(str(error))


@app.command("publish")
def publish(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument()],
    author: AuthorOption = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Publish an article: live in the help center and search at once."""
    summary = _change_status(ctx, slug, author, publish=True)
    if as_json:
        print_json(summary)
    else:
        console.print(f"published {slug}", highlight=False)


@app.command("unpublish")
def unpublish(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument()],
    author: AuthorOption = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Take an article out of the help center and search; it stays as a draft."""
    summary = _change_status(ctx, slug, author, publish=False)
    if as_json:
        print_json(summary)
    else:
        console.print(f"unpublished {slug}", highlight=False)


@app.command("list")
def list_command(
    ctx: typer.Context,
    status: Annotated[ArticleStatus | None, typer.Option(help="Only this status.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List articles, newest change first."""
    with state(ctx).database().session() as session:
        articles = list_articles(session, status=status)
        if as_json:
            print_json([_summary(a) for a in articles])
            return
        table = Table("slug", "title", "status", "area", "version")
        for article in articles:
            table.add_row(
                article.slug,
                article.title,
                str(article.status),
                article.product_area or "",
                str(len(article.versions)),
            )
        console.print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument()],
    version: Annotated[int | None, typer.Option(min=1, help="An older version.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Print an article (or one of its versions)."""
    with state(ctx).database().session() as session:
        try:
            article = get_article(session, slug)
        except ArticleNotFound as error:
            fail(str(error))
        if version is not None and version > len(article.versions):
            fail(f"version: {slug} has {len(article.versions)} version(s)")
        chosen = article.versions[(version or len(article.versions)) - 1]
        if as_json:
            print_json(
                _summary(article)
                | {"version": chosen.number, "title": chosen.title, "body": chosen.body}
            )
            return
        console.print(f"[bold]{chosen.title}[/] ({article.status}, version {chosen.number})")
        console.print(chosen.body, markup=False, highlight=False)


@app.command("history")
def history(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument()],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List an article's versions."""
    with state(ctx).database().session() as session:
        try:
            article = get_article(session, slug)
        except ArticleNotFound as error:
            fail(str(error))
        rows = [
            {
                "version": v.number,
                "title": v.title,
                "author": v.author,
                "note": v.note,
                "created_at": v.created_at.isoformat(),
            }
            for v in article.versions
        ]
        if as_json:
            print_json(rows)
            return
        table = Table("version", "title", "author", "note", "saved")
        for row in rows:
            table.add_row(
                *(str(row[k]) for k in ("version", "title", "author", "note", "created_at"))
            )
        console.print(table)


def _print(article: Article, as_json: bool, message: str) -> None:
    if as_json:
        print_json(_summary(article))
    else:
        console.print(message, highlight=False)
