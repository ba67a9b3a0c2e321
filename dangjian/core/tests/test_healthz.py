from unittest import mock

from django.db import OperationalError


def test_healthz_answers_ok_without_login(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_answers_ok_without_login_when_the_database_answers(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_readyz_answers_503_when_the_database_is_down(client, db):
    # given a database that refuses connections
    with mock.patch("dangjian.core.views.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/readyz")
    # then the load balancer sees 503, not a 500 page
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"
