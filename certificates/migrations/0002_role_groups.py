from django.db import migrations

ROLES = ("exporter", "qa_agency", "importer")


def create_groups(apps, schema_editor):
    group = apps.get_model("auth", "Group")
    for name in ROLES:
        group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    """The role groups the API and pages check: add users to them in the admin."""

    dependencies = [("certificates", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
