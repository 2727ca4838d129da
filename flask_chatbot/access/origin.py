"""Whether a WebSocket handshake's Origin may open a socket (docs/security.md).

Browsers apply no CORS to WebSockets and neither flask-sock nor simple-websocket checks
the Origin, so the blueprint asks :func:`origin_refusal` before every handshake.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import urlsplit

from werkzeug.sansio.utils import host_is_trusted

from ..errors import OptionsError


def origin_allowed(
    origin: str | None,
    host: str,
    allowed: tuple[str, ...],
    *,
    scheme: str,
    trusted_hosts: Collection[str] = (),
    local_address: str | None = None,
) -> bool:
    """Whether a WebSocket handshake with this ``Origin`` may proceed; see :func:`origin_refusal`."""
    return (
        origin_refusal(
            origin, scheme=scheme, host=host, allowed=allowed, trusted_hosts=trusted_hosts, local_address=local_address
        )
        is None
    )


def origin_refusal(
    origin: str | None,
    *,
    scheme: str,
    host: str,
    allowed: tuple[str, ...],
    trusted_hosts: Collection[str] = (),
    local_address: str | None = None,
) -> str | None:
    """``None`` if the handshake may proceed, else why not and what to configure (docs/security.md).

    Allowed: no Origin (browsers always send it on a WebSocket handshake, so no ambient
    credentials are at stake), an origin listed in ``allowed`` (or ``"*"``, or matched by a
    ``"https://*.example.com"`` entry: see :func:`listed`), or the request's
    own origin: same scheme (``scheme``, the request's), host and port (``host``, the Host
    header; default ports folded). The Host header is the client's word, so a page of a
    hostile domain resolving to this server (DNS rebinding) is its own "same" origin; hence
    a same origin that is a DNS name (not localhost, not an IP address) must also be one of
    ``trusted_hosts`` (the app's TRUSTED_HOSTS and SERVER_NAME) when there are any, and
    without them must not have reached this server on a loopback address (``local_address``,
    the connection's own end): the attack on a development server.
    """
    if origin is None or "*" in allowed:
        return None
    seen = _origin_key(origin)
    if seen is None:
        return "not an http(s) origin (a sandboxed iframe or a file: page?)"
    if listed(seen, allowed):
        return None
    own = _origin_key(f"{scheme}://{host}")
    if own is None:
        return "the request has no usable Host"
    if seen != own:
        if seen[1] == own[1] or _origin_key(f"{seen[0]}://{host}") == seen:
            return (
                f"the page is {seen[0]} but the request arrived as {scheme}; if TLS ends at a proxy, wrap the "
                "app in werkzeug.middleware.proxy_fix.ProxyFix(app.wsgi_app, x_proto=1) so the request knows"
            )
        return "another site; list its origin in allowed_origins to let it open the socket"
    return host_refusal(host, trusted_hosts=trusted_hosts, local_address=local_address)


def host_refusal(host: str, *, trusted_hosts: Collection[str] = (), local_address: str | None = None) -> str | None:
    """``None`` if a request under this Host may be answered with a reader's data, else why not.

    The Host header is the client's word: a hostile domain resolving to this server (DNS
    rebinding) makes its page's requests "same origin", and a read needs no Origin at all. So
    a Host that is a DNS name (not localhost, not an IP address) must be one of
    ``trusted_hosts`` (the app's TRUSTED_HOSTS and SERVER_NAME) when there are any, and without
    them must not have reached this server on a loopback address (``local_address``, the
    connection's own end): the attack on a development server.
    """
    key = _origin_key(f"http://{host}")
    if key is None:
        return "the request has no usable Host"
    hostname = key[1].rpartition(":")[0]
    if _is_loopback_name(hostname) or _is_ip(hostname):
        return None  # no attacker's page has such an origin: a rebinding page keeps its domain
    if trusted_hosts:
        if host_is_trusted(host, list(trusted_hosts)):
            return None
        return f"{hostname} is not in the app's TRUSTED_HOSTS or SERVER_NAME; add it there if it is this app's name"
    if not _is_loopback_address(local_address):
        return None
    return (
        f"a page of {hostname} reached this server on a loopback address, which is how DNS rebinding "
        f"attacks a development server; if {hostname} is this app's name, set the app's TRUSTED_HOSTS "
        f"(e.g. app.config['TRUSTED_HOSTS'] = [{hostname!r}])"
    )


def listed(seen: tuple[str, str], allowed: Collection[str]) -> bool:
    """Whether the origin ``seen`` (as :func:`_origin_key` gives it) is one of ``allowed``: the
    same scheme, host and port, or an entry ``scheme://*.domain[:port]`` whose domain ends the
    host after at least one label of its own. ``https://*.example.com`` takes
    ``https://a.example.com`` and ``https://a.b.example.com``, neither ``https://example.com``
    (list it too) nor ``https://evilexample.com``, nor another scheme or port."""
    for entry in allowed:
        key = _origin_key(entry)
        if key is None:
            continue
        if key == seen:
            return True
        scheme, host = key
        if not host.startswith("*.") or scheme != seen[0] or _wildcard_fault(host.rpartition(":")[0]):
            continue  # CHATBOT_ALLOWED_ORIGINS is not checked: a "*.com" there matches nothing either
        # host is "*.example.com:443": what follows the "*" must end the origin, port included.
        if seen[1].endswith(host[1:]) and len(seen[1]) > len(host) - 1:
            return True
    return False


def check_allowed_origins(entries: Collection[str]) -> None:
    """chat_bp()'s ``allowed_origins``: each an origin, ``"*"``, or ``scheme://*.domain[:port]``
    for every subdomain of a domain. OptionsError says what an entry looks like: an entry that
    no browser's Origin can equal would be accepted and match nothing."""
    shape = "allowed_origins entries look like 'https://example.com' or 'http://localhost:5000' (or '*'"
    for origin in entries:
        if origin == "*":
            continue
        parts = urlsplit(origin)
        # _origin_key: an http(s) scheme, a host, a port that is a number (not "https://example.com:*").
        if (
            _origin_key(origin) is None
            or parts.path not in ("", "/")
            or parts.query
            or parts.fragment
            or "@" in parts.netloc
        ):
            raise OptionsError(f"{shape}, or 'https://*.example.com' for its subdomains), not {origin!r}")
        fault = _wildcard_fault(parts.hostname or "") if "*" in (parts.hostname or "") else None
        if fault == "shape":
            raise OptionsError(
                f"a wildcard in allowed_origins stands for subdomains, as a leading '*.': 'https://*.example.com' "
                f"(scheme and port stay exact), not {origin!r}"
            )
        if fault == "broad":
            raise OptionsError(
                f"{origin!r} in allowed_origins: a wildcard needs a domain of yours after '*.', like "
                "'https://*.example.com'; not a top-level domain (every site under it) nor an IP address"
            )


def _wildcard_fault(hostname: str) -> str | None:
    """What is wrong with ``hostname`` as a subdomain wildcard ("*.example.com"): "shape" (the
    "*" elsewhere than a leading "*."), "broad" ("*.com" is every site there; "*.0.0.1" would
    match IP addresses, which have no subdomains), or None: nothing."""
    domain = hostname[2:]
    if not hostname.startswith("*.") or "*" in domain or not domain.strip("."):
        return "shape"
    if domain.rpartition(".")[2].isdigit() or ("." not in domain.strip(".") and not _is_loopback_name(domain)):
        return "broad"
    return None


def app_trusted_hosts(config: Mapping[str, Any]) -> list[str]:
    """The host names the app says it serves: TRUSTED_HOSTS (Flask 3.1+) and SERVER_NAME."""
    trusted = config.get("TRUSTED_HOSTS") or []
    hosts = [trusted] if isinstance(trusted, str) else list(trusted)
    if config.get("SERVER_NAME"):
        hosts.append(config["SERVER_NAME"])
    return hosts


def local_address(environ: Mapping[str, Any]) -> str | None:
    """The address the client reached: the connection's local end (werkzeug's dev server and
    gunicorn put the socket in the environ, flask-sock needs it too), else SERVER_NAME (the
    bound address in both). ``None`` when unknown, e.g. a unix socket behind a proxy."""
    for key in ("werkzeug.socket", "gunicorn.socket"):
        sock = environ.get(key)
        if sock is None:
            continue
        try:
            name = sock.getsockname()
        except (AttributeError, OSError):
            return None
        return str(name[0]) if isinstance(name, tuple) and name else None
    server_name = environ.get("SERVER_NAME")
    return str(server_name) if server_name else None


def _is_loopback_name(hostname: str) -> bool:
    return hostname == "localhost" or hostname.endswith(".localhost")


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]").partition("%")[0])
    except ValueError:
        return None


def _is_ip(hostname: str) -> bool:
    return _ip(hostname) is not None


def _is_loopback_address(address: str | None) -> bool:
    if address is None:
        return False
    if _is_loopback_name(address.lower()):
        return True
    ip = _ip(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip is not None and ip.is_loopback


def _origin_key(origin: str) -> tuple[str, str] | None:
    """(scheme, "host:port") as browsers compare origins: lower case, default port made explicit."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    hostname = parts.hostname.lower()
    if ":" in hostname:  # IPv6: urlsplit drops the brackets
        hostname = f"[{hostname}]"
    return parts.scheme, f"{hostname}:{port or (443 if parts.scheme == 'https' else 80)}"


__all__ = [
    "app_trusted_hosts",
    "check_allowed_origins",
    "host_refusal",
    "listed",
    "local_address",
    "origin_allowed",
    "origin_refusal",
]
