from django.core.management import call_command
from django.db import migrations

# As core.environment.env_caches names them; created whether or not CACHE_URL names Redis today, so that
# unsetting it later needs no step of its own.
TABLES = ("agriqcert_cache", "agriqcert_render_cache")


def create_tables(apps, schema_editor):
    call_command("createcachetable", *TABLES, database=schema_editor.connection.alias, verbosity=0)


def drop_tables(apps, schema_editor):
    for table in TABLES:
        schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(table)}")


class Migration(migrations.Migration):
    """The shared cache's tables (rate limits, rendered images), so that `migrate` is the only step."""

    operations = [migrations.RunPython(create_tables, drop_tables)]
