"""DataZone hosts and paths: every path goes to one handler, routed by botocore's model."""

from .responses import DataZoneResponse

url_bases = [
    r"https?://datazone\.(.+)\.api\.aws",
    r"https?://datazone\.(.+)\.amazonaws\.com",
]

url_paths = {
    "{0}/(?P<path>.*)$": DataZoneResponse.dispatch,
}
