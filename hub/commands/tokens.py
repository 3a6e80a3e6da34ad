"""``hub token create|list|revoke``: API tokens from the command line (shown once, stored as a hash)."""

from __future__ import annotations

import json

import click
from flask import Flask

from hub.audit import Actor
from hub.cli import emit
from hub.models import Role


def _row(token) -> dict:
    from hub import api_tokens

    return {"id": token.id, "name": token.name, "role": token.role, "prefix": token.prefix,
            "state": api_tokens.state(token), "created_at": token.created_at, "expires_at": token.expires_at,
            "last_used_at": token.last_used_at}


def register(app: Flask) -> None:
    @app.cli.group("token")
    def token_group() -> None:
        """Create, list and revoke API tokens for /api/v1."""

    @token_group.command("create")
    @click.option("--name", required=True, help="What the token is for (shown in lists and the audit log).")
    @click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
    @click.option("--expires", "expires_days", type=int, help="Days until it stops working (default: never).")
    @click.option("--json", "as_json", is_flag=True, help='Print {"token": ..., "id": ...}.')
    def create_command(name: str, role: str, expires_days: int | None, as_json: bool) -> None:
        """Create a token. The token is printed on the last line, this once only."""
        from hub.api_tokens import TokenError, create_token

        try:
            new = create_token(name, role, Actor.cli(), expires_days=expires_days)
        except TokenError as err:
            raise click.UsageError(f"{err.field}: {err}") from None
        if as_json:
            click.echo(json.dumps({"token": new.secret, "id": new.token.id}))
            return
        expiry = f", expires {new.token.expires_at:%Y-%m-%d %H:%M} UTC" if new.token.expires_at else ""
        click.echo(f"API token {new.token.id} ({new.token.name}, role {new.token.role}{expiry}); "
                   "it is shown only now:", err=False)
        click.echo(new.secret)

    @token_group.command("list")
    @click.option("--json", "as_json", is_flag=True)
    def list_command(as_json: bool) -> None:
        """List tokens: role, state, expiry, last use (never the secrets)."""
        from hub.api_tokens import list_tokens

        emit([_row(t) for t in list_tokens()],
             ["id", "name", "role", "prefix", "state", "expires_at", "last_used_at"], as_json)

    @token_group.command("revoke")
    @click.argument("token_id", type=int)
    def revoke_command(token_id: int) -> None:
        """Revoke a token at once."""
        from hub.api_tokens import TokenError, revoke_token

        try:
            token = revoke_token(token_id, Actor.cli())
        except TokenError as err:
            raise click.ClickException(str(err)) from None
        click.echo(f"API token {token.id} ({token.name}) revoked")
