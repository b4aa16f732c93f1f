import pytest


@pytest.fixture(autouse=True)
def _token_cache_outlasts_each_test(settings):
    """Hold API tokens in the process cache for an hour in these tests.

    Several tests count a request's queries or rely on a token still being cached; with the 5 s
    default a slow CI machine let the cache expire between two calls, and the extra look-up made
    them fail at random. Tests of the expiry move the clock past ``settings.API_TOKEN_CACHE_S``.
    """
    settings.API_TOKEN_CACHE_S = 3600
