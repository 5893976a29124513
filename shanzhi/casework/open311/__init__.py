"""Open311 GeoReport v2 (see ``views``)."""

# The demo county's Open311 key, published in the README so anyone trying the demo can file a
# request with an Open311 client. A real county creates its keys with `shanzhi open311-key`.
DEMO_API_KEY = "shanzhi-demo-open311-621023"
