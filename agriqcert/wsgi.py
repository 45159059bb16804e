"""The web app for gunicorn. It asks nothing of MongoDB while it boots.

A worker that cannot boot makes gunicorn halt its master (WORKER_BOOT_ERROR): the whole server,
/healthz included, would go down with the database, or with one missing index, and again at every
recycled worker. So a database that does not answer, or lacks an index, shows on /readyz (which
names the failing check) and fails the deploy (`manage.py ensure_indexes --check`, `manage.py check
--deploy`); requests meanwhile get 503 (core/database_unavailable.py).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agriqcert.settings")
application = get_wsgi_application()
