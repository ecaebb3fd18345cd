"""Command-line entry points: `flask --app coop demo load` and friends."""

import click

from coop import demo
from coop.extensions import db
from coop.jobruns import cli as jobs_cli
from coop.ledger import cli as ledger_cli
from coop.setup import cli as setup_cli
from coop.setup import first_run


def register(app) -> None:
    ledger_cli.register(app)
    jobs_cli.register(app)
    setup_cli.register(app)

    @app.cli.group("demo", help="The Xingwang demo data.")
    def demo_group():
        pass

    @demo_group.command("load", help="Load the demo unless it is already there; print accounts.")
    def load_command():
        if first_run.is_set_up() and not demo.is_loaded():
            click.echo(
                "这个数据库已经完成初始设置，不再载入演示数据"
                " (set up without the demo: nothing loaded; COOP_DEMO=0 skips this step)."
            )
            return
        if demo.load():
            db.session.commit()
            click.echo("已载入兴旺演示数据 (Xingwang demo loaded).")
        else:
            click.echo("演示数据已存在，未重复载入 (demo already present, nothing changed).")
        _print_accounts()

    @demo_group.command("accounts", help="Print the demo accounts.")
    def accounts_command():
        _print_accounts()


def _print_accounts() -> None:
    click.echo(f"\n演示账号（密码均为 {demo.DEMO_PASSWORD}）:")
    for username, _name, what in demo.ACCOUNTS:
        click.echo(f"  {username:<11} {what}")
    click.echo("")
