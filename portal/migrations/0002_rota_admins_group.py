"""Create the "Rota admins" group: its members change every team's things (core.permissions)."""

from django.db import migrations

ROTA_ADMINS_GROUP = "Rota admins"  # core.permissions.ROTA_ADMINS_GROUP, frozen here


def create_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=ROTA_ADMINS_GROUP)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("portal", "0001_api_token_names"),
    ]

    operations = [migrations.RunPython(create_group, migrations.RunPython.noop)]
