"""gunicorn settings shared by `scripts/dev.py run`, the tests and deployments.

    gunicorn config.wsgi --config config/gunicorn.py --bind ...

The access log goes through a logger that removes attendee links from every field
(request line, path, referrer, headers): see core/logging.py.
"""

from gunicorn.glogging import Logger

from core.logging import redact


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()
        }


logger_class = RedactingLogger
