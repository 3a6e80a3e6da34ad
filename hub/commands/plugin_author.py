"""Commands for plugin authors: ``hub plugin new NAME``, ``hub simulator SLUG``, ``hub benchmark SLUG``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask


def register(app: Flask) -> None:
    register_benchmark(app)

    @app.cli.group("plugin")
    def plugin_group() -> None:
        """Tools for writing a vendor plugin."""

    @plugin_group.command("new")
    @click.argument("name")
    @click.option("--dir", "parent", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
                  show_default=True, help="Where to create the hub-NAME directory.")
    def new_command(name: str, parent: Path) -> None:
        """Scaffold a vendor plugin distribution named NAME that passes the conformance kit as generated."""
        from hub.scaffold import ScaffoldError, create_plugin, names

        try:
            target = create_plugin(name, parent)
        except ScaffoldError as err:
            raise click.ClickException(str(err)) from None
        click.echo(f"created {target} (entry point {name!r}, package {names(name)['package']})")
        click.echo(f"next: pip install -e '{target}[test]' && pytest {target}/tests")

    @app.cli.command("simulator")
    @click.argument("slug")
    @click.option("--port", type=click.IntRange(0, 65535), default=0, help="Port on 127.0.0.1 (0: any free one).")
    @click.option("--customers", type=click.IntRange(1, 100_000), default=30, show_default=True)
    def simulator_command(slug: str, port: int, customers: int) -> None:
        """Serve SLUG's simulator on loopback until interrupted, and print the settings that point at it."""
        served, settings = start_simulator(slug, port, customers)
        click.echo(f"{slug} simulator with {customers} customers at {served.base_url} (Ctrl+C stops it)")
        click.echo(f"settings: {' '.join(f'--set {k}={v}' for k, v in settings.items())}")
        try:
            while served.thread.is_alive():
                served.thread.join(timeout=0.5)
        except KeyboardInterrupt:
            pass
        finally:
            served.stop()


def start_simulator(slug: str, port: int = 0, customers: int = 30):
    """Serve an installed plugin's demo simulator; (the served app, the settings pointing at it)."""
    from flask import current_app

    from hub.testing.server import serve

    registry = current_app.extensions["hub.plugins"]
    if slug not in registry.vendors:
        known = ", ".join(sorted(registry.vendors)) or "none"
        raise click.ClickException(f"SLUG: no loaded plugin {slug!r} (loaded: {known}; see hub plugins)")
    demo = registry.handle(slug).demo_simulator()
    if demo is None:
        raise click.ClickException(f"{slug}: the plugin ships no simulator (hub_demo_simulator returned None)")
    try:
        served = serve(demo.make_app(customers), name=f"{slug}-simulator", port=port)
    except OSError as err:
        raise click.ClickException(f"--port: cannot listen on 127.0.0.1:{port}: {err.strerror or err}") from None
    return served, demo.config_for(served.base_url)


def register_benchmark(app: Flask) -> None:
    @app.cli.command("benchmark")
    @click.argument("slug")
    @click.option("--customers", type=click.IntRange(1, 100_000), default=500, show_default=True)
    @click.option("--latency", type=click.FloatRange(0, 5), default=0.02, show_default=True,
                  help="Seconds the simulator adds to every request.")
    def benchmark_command(slug: str, customers: int, latency: float) -> None:
        """Time SLUG's sync hooks against its simulator; print the ratio to its documented limits' floor."""
        from flask import current_app

        from hub.plugin_host.benchmark import report, run_benchmark

        registry = current_app.extensions["hub.plugins"]
        if slug not in registry.vendors:
            raise click.ClickException(f"SLUG: no loaded plugin {slug!r} (see hub plugins)")
        try:
            result = run_benchmark(registry.handle(slug), customers, latency)
        except ValueError as err:
            raise click.ClickException(str(err)) from None
        for line in report(result, latency):
            click.echo(line)
        if result.error:
            raise SystemExit(1)
