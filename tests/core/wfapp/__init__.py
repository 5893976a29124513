"""A test-only app: a small case model that uses the workflow mechanism. Installed by
tests/core/conftest.py for the test run only (the project's migrations never see it)."""
