"""The demo customers' accounts."""

from typing import Any

from django.db import migrations


def create(apps: Any, schema_editor: Any) -> None:
    from shop.customers import create_customers

    create_customers(apps.get_model("auth", "User"))


class Migration(migrations.Migration):
    # Django's own migration format (plain lists).
    dependencies = [("auth", "0012_alter_user_first_name_max_length")]  # noqa: RUF012
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]  # noqa: RUF012
