import pytest

from players import guest_minting


@pytest.fixture(autouse=True)
def fresh_guest_mint_limit():
    """Every test starts with an empty guest-minting count (and the settings it overrides)."""
    guest_minting.guest_mint_limit.cache_clear()
    yield
    guest_minting.guest_mint_limit.cache_clear()
