"""The allocation as a task: started from the page, solved by a worker (inline here), idempotent,
one at a time per network; the page waits for it and shows a failure plainly."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from wraparound.matching.models import AllocationRun, RunStatus
from wraparound.matching.services import allocation_run_compute, allocation_run_start
from wraparound.matching.tasks import allocation_run_compute as task


def test_starting_solves_it_through_the_task(city):
    admin = city["t"].users["network_admin"]
    run = allocation_run_start(actor=admin, network=city["t"].network, school_year=city["year"])
    assert run.status == RunStatus.DRAFT  # no broker here: the task ran inline
    assert run.items.exists() and run.objective > 0


def test_the_task_is_idempotent(city):
    admin = city["t"].users["network_admin"]
    run = allocation_run_start(actor=admin, network=city["t"].network, school_year=city["year"])
    items = run.items.count()
    assert task(run.pk) == RunStatus.DRAFT
    assert run.items.count() == items


def test_one_run_at_a_time_per_network(city):
    admin = city["t"].users["network_admin"]
    AllocationRun.objects.create(
        network=city["t"].network, school_year=city["year"], status=RunStatus.RUNNING
    )
    with pytest.raises(ValidationError, match="already running"):
        allocation_run_start(actor=admin, network=city["t"].network, school_year=city["year"])


def test_a_failure_is_recorded_and_shown(city, as_user):
    network = city["t"].network
    run = AllocationRun.objects.create(
        network=network, school_year=city["year"], status=RunStatus.RUNNING
    )
    with (
        mock.patch("wraparound.matching.services.build_problem", side_effect=MemoryError("big")),
        pytest.raises(MemoryError),
    ):
        allocation_run_compute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "MemoryError: big" in run.error
    page = as_user(city["t"].users["network_admin"]).get(
        reverse("allocation_review", args=[network.slug, run.pk])
    )
    assert page.status_code == 200
    assert "could not be solved" in page.content.decode()


def test_the_waiting_page_polls_and_reloads_when_done(city, as_user):
    network = city["t"].network
    run = AllocationRun.objects.create(
        network=network, school_year=city["year"], status=RunStatus.RUNNING
    )
    client = as_user(city["t"].users["network_admin"])
    url = reverse("allocation_review", args=[network.slug, run.pk])
    waiting = client.get(url)
    assert 'hx-trigger="every 3s"' in waiting.content.decode()
    assert client.get(url + "?poll=1", HTTP_HX_REQUEST="true").status_code == 200
    allocation_run_compute(run_id=run.pk)
    done = client.get(url + "?poll=1", HTTP_HX_REQUEST="true")
    assert done.status_code == 204 and done["HX-Refresh"] == "true"
    assert "Optimal" in client.get(url).content.decode()


def test_others_never_see_a_running_run(city, as_user, t2):
    network = city["t"].network
    run = AllocationRun.objects.create(
        network=network, school_year=city["year"], status=RunStatus.RUNNING
    )
    url = reverse("allocation_review", args=[network.slug, run.pk])
    assert as_user(t2.users["network_admin"]).get(url).status_code == 404
    assert as_user(city["t"].users["coordinator"]).get(url).status_code in (403, 404)


def test_a_run_that_fails_inline_shows_its_page_not_a_server_error(city, as_user):
    network = city["t"].network
    client = as_user(city["t"].users["network_admin"])
    with mock.patch("wraparound.matching.services.build_problem", side_effect=RuntimeError("x")):
        response = client.post(
            reverse("network_allocation", args=[network.slug]),
            {"school_year": city["year"].pk},
        )
    run = AllocationRun.objects.get()
    assert run.status == RunStatus.FAILED
    assert response.status_code == 302
    assert "could not be solved" in client.get(response["Location"]).content.decode()
