"""`flask --app coop setup`: the set-up page's work, for scripts and terminals."""

import sys

import click
import marshmallow as ma

from coop.errors import DomainError
from coop.setup import first_run
from coop.setup.schemas import SetUpIn
from coop.uow import unit_of_work


def register(app) -> None:
    @app.cli.command("setup", help="Create the first street and its first street admin (once).")
    @click.option("--street", "street_name", required=True, help="街道名称")
    @click.option("--username", required=True, help="街道管理员的登录名")
    @click.option("--name", "display_name", required=True, help="街道管理员的姓名")
    @click.option("--phone", default="", help="街道管理员的手机号")
    @click.option(
        "--password-stdin",
        is_flag=True,
        help="Read the password from the first line of stdin instead of prompting.",
    )
    def setup_command(street_name, username, display_name, phone, password_stdin):
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = click.prompt(
                "密码 (password)", hide_input=True, confirmation_prompt="再输入一次 (repeat)"
            )
        given = {
            "street_name": street_name,
            "username": username,
            "display_name": display_name,
            "phone": phone,
            "password": password,
        }
        try:
            data = SetUpIn().load({key: value for key, value in given.items() if value})
            with unit_of_work():
                admin = first_run.set_up(**data)
        except ma.ValidationError as error:
            raise click.ClickException(_described(error.normalized_messages())) from None
        except DomainError as error:
            message = f"{error.message} {_described(error.errors)}".strip()
            raise click.ClickException(message) from None
        click.echo(f"已建立“{data['street_name']}”，街道管理员 {admin.username} 可以登录了。")


def _described(errors: dict) -> str:
    return "; ".join(
        f"{field}: {' '.join(map(str, messages))}" for field, messages in errors.items()
    )
