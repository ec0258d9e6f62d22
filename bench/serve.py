"""The app as gunicorn serves it in production, plus a trivial view behind the same middleware (the floor that
bench/load.py measures every page against)."""

from django.conf import settings
from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
settings.ROOT_URLCONF = "pages"  # bench/pages.py: /bench/trivial/ and every address of ocit.urls
