"""Fixtures of the catalog tests: the app per test, and one shared shelf of listings for read-only tests."""

from __future__ import annotations

import pytest

from tests.builders import World, listed
from tests.fixtures import _postgres_schema, app, client, fresh_app, world  # noqa: F401  (fixtures of this folder)

FREE = [{"name": "免费试用", "pricing_mode": "free"}]
NEGOTIABLE = [{"name": "面议", "pricing_mode": "negotiable"}]


def priced(mode, price, **kw):
    return [{"name": mode, "pricing_mode": mode, "price_minor": price, **kw}]


def build_shelf(people) -> dict[str, int]:
    """Six listings whose texts make every expectation of the search tests unambiguous."""
    a, b, r = people.broker_a, people.broker_b, people.reviewer
    made = {
        "chenpi": listed(a, r, name="新会陈皮产业溯源数据集", name_en="Xinhui chenpi traceability dataset",
                         sector="agriculture", scenarios=["traceability"], description="一物一码溯源记录。",
                         offers=priced("subscription", 3_600_000, billing_period="year"), venue="agriculture"),
        "warehouse": listed(b, r, name="陈皮仓储温湿度监测", name_en="Chenpi warehouse climate monitoring",
                            sector="agriculture", product_type="api", delivery_modes=["api"],
                            description="仓库温度与湿度。", offers=FREE),
        "power": listed(a, r, name="电力看信贷企业用电指数", name_en="Electricity-for-credit power-use index",
                        sector="energy", product_type="api", delivery_modes=["api", "aggregate"],
                        description="企业月度用电量。", offers=priced("per_call", 200)),
        "social": listed(b, r, name="自然人参保缴费数据", name_en="Individual social insurance payment records",
                         sector="social_security", delivery_modes=["api"],
                         description="经本人同意提供社保缴费记录，用于小额贷款 loans。",
                         offers=priced("per_call", 50) + NEGOTIABLE, venue="social_security"),
        "load": listed(a, r, name="工业园区用电负荷报告", name_en="Industrial park load report", sector="energy",
                       product_type="report", description="园区电力负荷与峰谷差分析。",
                       offers=priced("one_off", 500_000)),
        "weather": listed(b, r, name="柑橘种植气象数据", name_en="Citrus orchard weather data",
                          sector="natural_resources", description="覆盖陈皮原料柑产区的气象观测。",
                          offers=NEGOTIABLE),
    }
    return {key: product.id for key, product in made.items()}


@pytest.fixture(scope="module")
def shelf_app(tmp_path_factory, _postgres_schema):  # noqa: F811  (the fixture, by name)
    """(app, world, shelf) built once per module: only for tests that never write."""
    with fresh_app(tmp_path_factory.mktemp("shelf")) as shared:
        people = World.build()
        yield shared, people, build_shelf(people)
