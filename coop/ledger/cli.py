"""`flask --app coop ledger check`: recompute the books; exit 1 when they are wrong."""

import sys
import time

import click

from coop.ledger import service

SHOWN = 20  # findings listed per kind; the counts are always complete


def register(app) -> None:
    @app.cli.group("ledger", help="The points ledger (积分账本).")
    def ledger_group():
        pass

    @ledger_group.command("check", help="Check that postings balance and balances match entries.")
    def check_command():
        started = time.perf_counter()
        report = service.check()
        elapsed = time.perf_counter() - started
        click.echo(
            f"积分账本检查 (ledger check): {report.postings} postings, {report.entries} entries,"
            f" {report.accounts} accounts checked in {elapsed:.2f} s"
        )
        _findings(
            "借贷不平的记账 (unbalanced postings)",
            [f"posting {posting_id}" for posting_id in report.unbalanced_postings],
        )
        _findings(
            "余额与明细不符 (drifted balances)",
            [
                f"account {account_id}: cached {cached}, entries sum to {actual}"
                for account_id, cached, actual in report.drifted_accounts
            ],
        )
        _findings(
            "余额为负的账户 (negative balances outside the pool)",
            [
                f"account {account_id}: {actual}"
                for account_id, actual in report.negative_user_accounts
            ],
        )
        if not report.ok:
            click.echo("账本有误 (ledger NOT OK)")
            sys.exit(1)
        click.echo("账本无误 (ledger OK)")


def _findings(title: str, lines: list[str]) -> None:
    click.echo(f"  {title}: {len(lines)}")
    for line in lines[:SHOWN]:
        click.echo(f"    {line}")
    if len(lines) > SHOWN:
        click.echo(f"    … and {len(lines) - SHOWN} more")
