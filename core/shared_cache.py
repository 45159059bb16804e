"""The cache every web process and machine of a deployment shares: rate limits and rendered images.

Without CACHE_URL it lives in Django's SQL database (DATABASE_URL), so a small deployment needs no
new server; its tables are created by `migrate` (core/migrations). With CACHE_URL it is Redis
(core.environment.env_caches builds CACHES either way).

Django's database cache increments by reading, adding and writing back, so two processes counting
at once can both write the same number, and a hit is lost. Here an increment writes only if the
value is still the one it read, and reads again otherwise; and `add` removes an expired entry
first, so that only one of two processes starting a new window can win it.

"Expired" must mean the same to `add` as to `get` and `incr`. Django's `get` compares the stored
expiry (whole seconds) with the time to the microsecond, but its `add` with the time truncated to
the second: in the last second of a window, `get` said "gone" while `add` said "still there", and
a rate limit starting a new window was refused three times and failed the request.
"""

from __future__ import annotations

import base64
import pickle

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connections, models, router
from django.utils.timezone import now

# Each round of an increment race has a winner, so a process retries at most once per process
# counting the same key at that moment; this bound is only against a broken database.
INCREMENT_ATTEMPTS = 100


class DatabaseCache(DjangoDatabaseCache):
    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        connection, table = self._connection_and_table()
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE cache_key = %s AND expires < %s",
                [key, connection.ops.adapt_datetimefield_value(now())],
            )
        return self._base_set("add", key, value, timeout)

    def incr(self, key, delta: int = 1, version=None) -> int:
        key = self.make_and_validate_key(key, version=version)
        connection, table = self._connection_and_table()
        for _ in range(INCREMENT_ATTEMPTS):
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT value, expires FROM {table} WHERE cache_key = %s", [key])
                row = cursor.fetchone()
                if row is None or _expired(connection, row[1]):
                    raise ValueError(f"Key '{key}' not found.")
                stored = connection.ops.process_clob(row[0])
                value = pickle.loads(base64.b64decode(stored.encode())) + delta
                cursor.execute(
                    f"UPDATE {table} SET value = %s WHERE cache_key = %s AND value = %s",
                    [self._encode(value), key, stored],
                )
                if cursor.rowcount == 1:
                    return value
        raise RuntimeError(f"could not increment the cache entry {key!r}: it changed {INCREMENT_ATTEMPTS} times")

    def _connection_and_table(self):
        connection = connections[router.db_for_write(self.cache_model_class)]
        return connection, connection.ops.quote_name(self._table)

    def _encode(self, value) -> str:
        return base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")


def _expired(connection, expires) -> bool:
    expression = models.Expression(output_field=models.DateTimeField())
    for converter in connection.ops.get_db_converters(expression) + expression.get_db_converters(connection):
        expires = converter(expires, expression, connection)
    return expires < now()
