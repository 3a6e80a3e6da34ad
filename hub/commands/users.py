"""``hub user create|list|set-password|disable|enable|delete``: panel accounts from the command line."""

from __future__ import annotations

import click
from flask import Flask

from hub.audit import Actor
from hub.cli import emit
from hub.models import Role


def register(app: Flask) -> None:
    @app.cli.group("user")
    def user_group() -> None:
        """Create and list the web panel's users."""

    @user_group.command("create")
    @click.option("--email", required=True, help="The sign-in e-mail address.")
    @click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.VIEWER.value, show_default=True)
    @click.option("--password", help="Leave out to be prompted (not echoed).")
    def create_command(email: str, role: str, password: str | None) -> None:
        """Create a user with a role: admin (everything), billing, or viewer (read only)."""
        from hub.web.users import UserError, create_user

        if password is None:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            user = create_user(email, role, password, actor=Actor.cli())
        except UserError as err:
            raise click.ClickException(f"{err.field}: {err}") from None
        click.echo(f"user {user.email} created with role {user.role}")

    @user_group.command("set-password")
    @click.option("--email", required=True)
    @click.option("--password", help="Leave out to be prompted (not echoed).")
    def set_password_command(email: str, password: str | None) -> None:
        """Set a user's password."""
        from hub.web.users import UserError, set_password

        if password is None:
            password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
        try:
            user = set_password(email, password, actor=Actor.cli())
        except UserError as err:
            raise click.ClickException(f"{err.field}: {err}") from None
        click.echo(f"password of {user.email} changed")

    @user_group.command("disable")
    @click.option("--email", required=True)
    def disable_command(email: str) -> None:
        """Disable a user: they cannot sign in, and every session of theirs ends now."""
        _set_active(email, False)

    @user_group.command("enable")
    @click.option("--email", required=True)
    def enable_command(email: str) -> None:
        """Let a disabled user sign in again."""
        _set_active(email, True)

    @user_group.command("delete")
    @click.option("--email", required=True)
    @click.confirmation_option(prompt="Delete this user for good?")
    def delete_command(email: str) -> None:
        """Delete a user (the last active admin stays; the audit log keeps their e-mail)."""
        from hub.web.users import UserError, delete_user, find_user, normalise_email

        user = find_user(email)
        try:
            if user is None:
                raise UserError(f"no user {normalise_email(email)}", "email")
            delete_user(user.id, actor=Actor.cli())
        except UserError as err:
            raise click.ClickException(f"{err.field}: {err}") from None
        click.echo(f"user {normalise_email(email)} deleted")

    @user_group.command("list")
    @click.option("--json", "as_json", is_flag=True)
    def list_command(as_json: bool) -> None:
        """List users with role, state and last sign-in."""
        from hub.extensions import db
        from hub.models import User

        rows = [{"email": u.email, "role": u.role, "active": u.active, "last_login_at": u.last_login_at}
                for u in db.session.execute(db.select(User).order_by(User.email)).scalars()]
        emit(rows, ["email", "role", "active", "last_login_at"], as_json)


def _set_active(email: str, active: bool) -> None:
    from hub.web.users import UserError, set_active

    try:
        user = set_active(email, active, actor=Actor.cli())
    except UserError as err:
        raise click.ClickException(f"{err.field}: {err}") from None
    click.echo(f"user {user.email} {'enabled' if active else 'disabled; their sessions have ended'}")
