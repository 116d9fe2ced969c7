"""Synthetic data and trained models shared by the model tests (built once per session)."""

import pytest
from threadpoolctl import threadpool_limits

from models import cargo_pricing, guest_value, propensity, synthetic


@pytest.fixture(scope="session", autouse=True)
def one_thread():
    """One OpenMP/BLAS thread, as `frontline models train` runs: on a busy 2-core machine
    two threads made the boosted propensity model 10-30x slower."""
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="session")
def casino():
    """Two years of visits for 2,000 guests, plus the guests frame."""
    guests = synthetic.guests(2000, seed=1)
    return guests, synthetic.visits(guests, seed=1)


@pytest.fixture(scope="session")
def guest_model(casino):
    guests, visits = casino
    return guest_value.train(visits, guests)


@pytest.fixture(scope="session")
def offers(casino):
    guests, visits = casino
    return synthetic.offers(guests, visits, seed=1)


@pytest.fixture(scope="session")
def propensity_model(casino, offers):
    guests, visits = casino
    return propensity.train(offers, visits, guests)


@pytest.fixture(scope="session")
def cargo():
    """A year of daily flights on five lanes and 20,000 quotes against them."""
    flights = synthetic.cargo_flights(seed=2)
    return flights, synthetic.cargo_quotes(flights, 20_000, seed=2)


@pytest.fixture(scope="session")
def cargo_bookings(cargo):
    flights, _ = cargo
    return synthetic.cargo_bookings(flights, seed=2)


@pytest.fixture(scope="session")
def cargo_model(cargo, cargo_bookings):
    flights, quotes = cargo
    return cargo_pricing.train(quotes, flights, cargo_bookings)
