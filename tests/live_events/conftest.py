import threading

import pytest

from live import services
from photos.services import get_or_create_album
from tests.factories import EventFactory, UserFactory


@pytest.fixture
def ftp_settings(settings, tmp_path):
    settings.FTP_ROOT = str(tmp_path / "ftp")
    settings.FTP_FAILED_LOGIN_DELAY_SECONDS = 0.05
    return settings


@pytest.fixture
def start_ftp(transactional_db, ftp_settings):
    """Start the real FTP receiver (live.ftp) on a free local port, in this process;
    returns its port. Stopped after the test."""
    from live.ftp import make_server

    servers = []

    def start() -> int:
        server = make_server("127.0.0.1", 0)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"handle_exit": False, "timeout": 0.2}
        )
        thread.daemon = True
        thread.start()
        servers.append((server, thread))
        return server.address[1]

    yield start
    for server, thread in servers:
        server.close_all()
        thread.join(5)


@pytest.fixture
def camera(transactional_db):
    event = EventFactory(name="Riverside Wedding", owner=UserFactory(username="olivia"))
    album = get_or_create_album(event=event, title="Ceremony")
    return services.create_account(album=album)
