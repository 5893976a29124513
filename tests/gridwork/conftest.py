from tests.contact.conftest import image_bytes, media, party  # noqa: F401  (the Party of the small county)
