"""Where a webhook may go (issue 12, finding 3): schemes, ports, the allow-list and the resolved
addresses. Names resolve through a table here (no DNS on the test machine); literal addresses and
``localhost`` go through the real resolver."""

from __future__ import annotations

import ipaddress

import pytest

from docintel.api.webhook_targets import (
    WebhookRefused,
    WebhookUnresolved,
    check_webhook_url,
    parse_allowed_hosts,
)

DNS = {
    "hooks.example.com": ["93.184.215.14"],
    "ehr.hospital.internal": ["10.20.1.5"],
    "rebind.example.com": ["93.184.215.14", "127.0.0.1"],  # one public answer, one loopback
    "metadata.example.com": ["169.254.169.254"],
    "v6.example.com": ["2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
    "mapped.example.com": ["::ffff:10.0.0.1"],
}


def resolve(host, port):
    if host not in DNS:
        raise WebhookUnresolved(message=f"the webhook host {host} does not resolve")
    addresses = [ipaddress.ip_address(a) for a in DNS[host]]
    return [getattr(a, "ipv4_mapped", None) or a for a in addresses]


def check(url, allowed=(), real_dns=False):
    return check_webhook_url(url, allowed, **({} if real_dns else {"resolve": resolve}))


def refused(url, allowed=(), real_dns=False) -> str:
    with pytest.raises(WebhookRefused) as error:
        check(url, allowed, real_dns)
    assert error.value.code == "webhook_not_allowed"
    return error.value.message


def test_a_public_https_host_is_allowed_and_pinned_to_its_checked_address():
    target = check("https://hooks.example.com/docintel?source=x")
    assert target.address == "93.184.215.14"
    assert target.connect_url == "https://93.184.215.14:443/docintel?source=x"
    assert target.host_header == "hooks.example.com"


@pytest.mark.parametrize("url", ["ftp://hooks.example.com/", "file:///etc/passwd", "gopher://x/",
                                 "javascript:alert(1)", "https:///nohost", "https://user:pw@hooks.example.com/"])
def test_only_http_and_https_without_credentials(url):
    refused(url)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/", "http://localhost/", "http://[::1]/", "http://10.0.0.8/", "http://192.168.1.1/",
    "http://172.16.5.4/", "http://169.254.169.254/latest/meta-data/", "http://0.0.0.0/",
    "http://[::ffff:127.0.0.1]/", "http://[fe80::1]/", "http://100.64.0.1/",
])
def test_private_loopback_and_link_local_addresses_are_refused_by_default(url):
    assert "private, loopback or link-local" in refused(url, real_dns=True)


def test_a_name_that_resolves_to_a_private_address_is_refused():
    refused("https://ehr.hospital.internal/hook")
    refused("https://mapped.example.com/hook")
    refused("https://metadata.example.com/")


def test_one_private_answer_among_public_ones_is_enough_to_refuse():
    refused("https://rebind.example.com/")


def test_unusual_ports_need_an_entry_naming_them():
    assert "ports 80 and 443" in refused("https://hooks.example.com:8443/")
    assert "ports 80 and 443" in refused("https://hooks.example.com:6379/", ["hooks.example.com"])
    assert check("https://hooks.example.com:8443/", ["hooks.example.com:8443"]).port == 8443
    assert check("http://hooks.example.com:8080/", ["hooks.example.com:*"]).port == 8080
    assert check("http://hooks.example.com/").port == 80


def test_with_an_allow_list_only_listed_hosts_are_allowed():
    allowed = ["ehr.hospital.internal", ".partner.example"]
    assert "not in DOCINTEL_WEBHOOK_ALLOWED_HOSTS" in refused("https://hooks.example.com/", allowed)
    assert check("https://ehr.hospital.internal/hook", allowed).address == "10.20.1.5"  # listed: private ok
    DNS["a.b.partner.example"] = ["93.184.215.15"]
    assert check("https://a.b.partner.example/", allowed).address == "93.184.215.15"
    refused("https://evilpartner.example/", allowed)


def test_networks_in_the_allow_list_cover_names_that_resolve_into_them():
    assert check("https://ehr.hospital.internal/", ["10.20.0.0/16"]).address == "10.20.1.5"
    refused("https://ehr.hospital.internal/", ["10.30.0.0/16"])


def test_link_local_needs_an_entry_naming_the_address():
    refused("https://metadata.example.com/", ["metadata.example.com"])
    assert check("http://169.254.10.1/", ["169.254.10.0/24"], real_dns=True).address == "169.254.10.1"


def test_loopback_with_any_port_for_a_test_receiver():
    target = check("http://127.0.0.1:54321/hook", ["127.0.0.1:*"], real_dns=True)
    assert target.connect_url == "http://127.0.0.1:54321/hook"
    assert target.host_header == "127.0.0.1:54321"
    assert check("http://[::1]:8080/", ["[::1]:8080"], real_dns=True).connect_url == "http://[::1]:8080/"


def test_ipv6_public_addresses_are_allowed():
    assert check("https://v6.example.com/").connect_url.startswith("https://[2606:2800:")


def test_a_name_that_does_not_resolve_is_a_retryable_error():
    with pytest.raises(WebhookUnresolved) as error:
        check("https://nowhere.example.com/")
    assert error.value.retryable


def test_a_bad_allow_list_entry_is_named():
    with pytest.raises(ValueError, match=r"10\.0\.0\.0/33"):
        parse_allowed_hosts(["10.0.0.0/33:x"])
