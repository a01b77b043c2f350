"""The record tests' set-up (test_records, test_record_races): a per-call people product with a release, and an
active contract for it; a module's own fixtures of these names take precedence."""

import pytest

from tests.marketplace.delivery.builders import PEOPLE_RELEASE_CSV, PER_CALL, active_contract, people_product, release


@pytest.fixture
def product(world):
    product = people_product(world, offers=(PER_CALL,))
    release(world, product, PEOPLE_RELEASE_CSV)
    return product


@pytest.fixture
def contract(world, product):
    return active_contract(world, product)
