"""`govgate users`: console accounts (people who sign in to /console/), created, listed,
disabled and unlocked from the command line. gateway/cli.py adds the group to `govgate`."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any

import click


def _database():  # type: ignore[no-untyped-def]
    from gateway.cli import _database as database  # the CLI's one way to open the configured database

    return database()


def _emit(value: Any, as_json: bool, render) -> None:  # type: ignore[no-untyped-def]
    from gateway.cli import _emit as emit

    emit(value, as_json, render)


def _settings():  # type: ignore[no-untyped-def]
    from gateway.cli import _settings as settings

    return settings()



@click.group()
def users() -> None:
    """Manage console users (people who sign in to /console/; never callers with API keys)."""


def _console_auth():  # type: ignore[no-untyped-def]
    from gateway.console.auth import ConsoleAuth
    from gateway.store.console import ConsoleStore

    return ConsoleAuth.from_settings(_settings(), ConsoleStore(_database()))


@users.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice(["compliance_officer", "security_admin", "admin"]))
@click.option("--password-stdin", is_flag=True, required=True,
              help="Read the password from standard input (never from the command line, which others can see).")
@click.option("--json", "as_json", is_flag=True)
def users_create(username: str, role: str, password_stdin: bool, as_json: bool) -> None:
    """Create a console user; the password is stored as its argon2id hash."""
    from gateway.console.auth import UserError
    from gateway.store.console import UserExists

    password = sys.stdin.readline().rstrip("\r\n")
    auth = _console_auth()
    try:
        info = auth.create_user(username=username, role=role, password=password, now=datetime.now(UTC))
    except UserError as error:
        raise click.ClickException(str(error)) from None
    except UserExists:
        raise click.ClickException(f"a console user {username} exists already") from None
    auth.store.add_event(at=datetime.now(UTC), username=username, action="user_created", detail={"role": role})
    _emit(info.model_dump(mode="json"), as_json, lambda v: click.echo(f"created {v['username']} ({v['role']})"))


@users.command("list")
@click.option("--json", "as_json", is_flag=True)
def users_list(as_json: bool) -> None:
    """List console users and their state (never their password hashes)."""
    from gateway.store.console import ConsoleStore

    rows = [u.model_dump(mode="json") for u in ConsoleStore(_database()).users()]

    def render(items: list[dict[str, Any]]) -> None:
        for item in items:
            state = "disabled" if item["disabled"] else f"locked until {item['locked_until']}" \
                if item["locked_until"] else "active"
            click.echo(f"{item['username']:<24} {item['role']:<20} {state}")

    _emit(rows, as_json, render)


def _change_user(username: str, as_json: bool, *, change: str, action: str, done: str, missing: str) -> None:
    """Disable or unlock a console user, record it as a console event, exit 1 when nothing changed."""
    from gateway.store.console import ConsoleStore

    store = ConsoleStore(_database())
    changed = getattr(store, change)(username)
    if changed:
        store.add_event(at=datetime.now(UTC), username=username, action=action)
    _emit({"username": username, done: changed}, as_json,
          lambda v: click.echo(f"{done} {username}" if changed else f"{missing} {username}"))
    if not changed:
        sys.exit(1)


@users.command("disable")
@click.argument("username")
@click.option("--json", "as_json", is_flag=True)
def users_disable(username: str, as_json: bool) -> None:
    """Disable a console user and end its sessions."""
    _change_user(username, as_json, change="disable", action="user_disabled", done="disabled",
                 missing="no active console user")


@users.command("unlock")
@click.argument("username")
@click.option("--json", "as_json", is_flag=True)
def users_unlock(username: str, as_json: bool) -> None:
    """Lift a console user's lock-out (after failed sign-ins) before it runs out."""
    _change_user(username, as_json, change="unlock", action="user_unlocked", done="unlocked",
                 missing="no console user")
