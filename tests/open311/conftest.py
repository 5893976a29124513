from tests.casework.conftest import categories, media, member  # noqa: F401  (shared fixtures)
