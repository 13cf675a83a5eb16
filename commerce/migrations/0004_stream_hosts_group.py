"""The stream_hosts group: its members (and staff) may create and run live streams."""

from django.db import migrations


def create_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name="stream_hosts")


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("commerce", "0003_refunds_and_stream_sales"),
    ]

    operations = [migrations.RunPython(create_group, migrations.RunPython.noop)]
