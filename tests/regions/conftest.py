import pytest

from regions.choices import Role
from tests.conftest import make_user


@pytest.fixture
def catalog_admin(regions):
    return make_user("catalog_admin", Role.CATALOG_ADMIN, "3706")
