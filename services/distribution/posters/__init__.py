"""Share posters (MKT-5): pure layout (`layout`), image fetching (`fetch`), painting
(`render`), templates (`templates`) and the service (`service.poster_for`)."""
