import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agriqcert.settings")
application = get_wsgi_application()

# On MongoDB, refuse to serve on a database whose indexes the code relies on are missing.
from core import indexes, mongo  # noqa: E402

if not mongo.is_embedded():
    indexes.require()
