"""Issue 16 finding 16: the IPv6 spellings that reach a refused IPv4 address (the metadata
service, link-local) are refused as that address is: IPv4-compatible, NAT64 and 6to4."""

import pytest

from apps.events.targets import TargetRefused, validate_target


@pytest.mark.parametrize(
    "url",
    [
        "http://[::169.254.169.254]/",  # IPv4-compatible
        "http://[::a9fe:a9fe]/",  # the same, in hex
        "http://[64:ff9b::169.254.169.254]/",  # NAT64 well-known prefix
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://[64:ff9b:1::a9fe:a9fe]/",  # NAT64 local-use prefix
        "http://[2002:a9fe:a9fe::]/",  # 6to4 of 169.254.169.254
        "http://[2002:a9fe:0101::1]/",  # 6to4 of 169.254.1.1 (link-local)
        "http://[::ffff:169.254.169.254]/",  # IPv4-mapped, refused before too
    ],
)
def test_ipv6_spellings_of_a_refused_ipv4_address_are_refused(url):
    with pytest.raises(TargetRefused):
        validate_target(url)


@pytest.mark.parametrize(
    "url", ["http://[::1]:8080/hook", "http://[2002:c000:0201::1]/", "http://[64:ff9b::8.8.8.8]/"]
)
def test_other_ipv6_targets_stay_allowed(url):
    validate_target(url)
