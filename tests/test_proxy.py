"""telegram.proxy: an HTTP, HTTPS or SOCKS5 proxy on loopback carries every Bot API request, the
config key wins over the environment, and the proxy's password is never shown."""

from __future__ import annotations

import json
import logging
import re
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
from pathlib import Path

import aiohttp.connector
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from telegram.error import NetworkError

from bench.proxy import HttpProxy, SocksProxy
from bot.app import build_application
from bot.core.config import ConfigError, Settings, TelegramSettings, load_settings
from bot.core.logs import RedactToken, install_redaction
from handlers.http import AiohttpRequest
from standin import StandinServer, World

TOKEN = "7000000003:proxy-test-token"
GROUP = -1_001_000_000_003
PASSWORD = "s3cret-Pa55"
CREDENTIALS = ("griddesk", PASSWORD)
EXAMPLE = Path(__file__).resolve().parent.parent / "config.yaml"
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")


@pytest.fixture(name="environment", autouse=True)
def fixture_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # A CI machine's own proxy variables must not reroute the loopback traffic.
    for name in (*PROXY_VARIABLES, "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(name="server")
async def fixture_server() -> AsyncIterator[StandinServer]:
    world = World(api_json=None)
    world.add_user(501, "Bob")
    world.add_chat(GROUP, title="Street", members=[501])
    async with StandinServer(world, TOKEN) as server:
        yield server


@pytest.fixture(name="redaction")
def fixture_redaction() -> Iterator[None]:
    factory = logging.getLogRecordFactory()
    install_redaction(TOKEN)
    yield
    logging.setLogRecordFactory(factory)


def with_proxy(settings: Settings, base_url: str, proxy: str | None) -> Settings:
    telegram = TelegramSettings.model_validate(
        {"base_url": base_url, "proxy": proxy, "rate_limiter": False}
    )
    return settings.model_copy(update={"telegram": telegram})


async def talk(settings: Settings) -> None:
    """What the running bot does over both of its clients: getMe, a send, a long poll."""
    app = build_application(settings, TOKEN, rate_limit=False)
    async with app.bot:  # getMe, through the request client
        await app.bot.send_message(GROUP, "占道经营")
        await app.bot.get_updates(timeout=0)  # through the get_updates client


def methods(lines: list[str]) -> set[str]:
    return {line.rsplit("/", 1)[1] for line in lines}


def sent_methods(proxy: SocksProxy) -> set[str]:
    """The Bot API methods in the request lines that passed through a SOCKS tunnel."""
    text = proxy.sent.decode("latin-1")
    return set(re.findall(rf"POST /bot{re.escape(TOKEN)}/(\w+) HTTP", text))


async def test_an_http_proxy_carries_every_request(
    settings: Settings, server: StandinServer
) -> None:
    """With telegram.proxy an http:// URL, the proxy forwards getMe, the send and the poll."""
    async with HttpProxy() as proxy:
        await talk(with_proxy(settings, server.base_url, proxy.url("http")))
    assert {"getMe", "sendMessage", "getUpdates"} == methods(proxy.seen)
    assert all(line.startswith(f"POST {server.base_url}{TOKEN}/") for line in proxy.seen)


@pytest.mark.parametrize("scheme", ["socks5", "socks5h"])
async def test_a_socks5_proxy_carries_every_request_and_resolves_the_name(
    settings: Settings, server: StandinServer, scheme: str
) -> None:
    """Through a SOCKS5 proxy the bot names the host and the proxy resolves it (a resolver in
    China may lie about api.telegram.org), and every request passes through."""
    base_url = f"http://localhost:{server.port}/bot"
    async with SocksProxy() as proxy:
        await talk(with_proxy(settings, base_url, proxy.url(scheme)))
    assert {("localhost", server.port)} == set(proxy.targets)
    assert {"getMe", "sendMessage", "getUpdates"} == sent_methods(proxy)


@pytest.fixture(name="proxy_tls")
def fixture_proxy_tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ssl.SSLContext:
    """A certificate for 127.0.0.1 that aiohttp's verifying default context trusts."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "proxy.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "proxy.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    client = ssl.create_default_context(cafile=tmp_path / "proxy.pem")
    # aiohttp builds its verifying context once, at import; a deployment's own CA would come
    # through SSL_CERT_FILE before the bot starts.
    monkeypatch.setattr(aiohttp.connector, "_SSL_CONTEXT_VERIFIED", client)
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(tmp_path / "proxy.pem", tmp_path / "proxy.key")
    return server


async def test_an_https_proxy_is_reached_over_tls(
    settings: Settings, server: StandinServer, proxy_tls: ssl.SSLContext
) -> None:
    """With an https:// proxy URL the bot speaks TLS to the proxy, credentials included."""
    async with HttpProxy(credentials=CREDENTIALS, tls=proxy_tls) as proxy:
        await talk(with_proxy(settings, server.base_url, proxy.url("https")))
    assert (0, {"getMe", "sendMessage", "getUpdates"}) == (proxy.refused, methods(proxy.seen))


async def test_the_config_key_wins_over_the_environment(
    settings: Settings, server: StandinServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTP_PROXY names one proxy, telegram.proxy another: only the configured one is used."""
    async with HttpProxy() as from_environment, SocksProxy() as configured:
        for name in PROXY_VARIABLES:
            monkeypatch.setenv(name, from_environment.url("http"))
        await talk(with_proxy(settings, server.base_url, configured.url("socks5")))
    assert [] == from_environment.seen
    assert {"getMe", "sendMessage", "getUpdates"} == sent_methods(configured)


async def test_without_the_key_the_environment_still_names_the_proxy(
    settings: Settings, server: StandinServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No telegram.proxy: HTTP_PROXY carries the requests, as before the key existed."""
    async with HttpProxy() as proxy:
        for name in PROXY_VARIABLES:
            monkeypatch.setenv(name, proxy.url("http"))
        await talk(with_proxy(settings, server.base_url, None))
    assert {"getMe", "sendMessage", "getUpdates"} == methods(proxy.seen)


async def test_a_socks_proxy_in_the_environment_points_to_the_key(
    settings: Settings, server: StandinServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTP_PROXY naming a SOCKS proxy is refused with a pointer to telegram.proxy, rather
    than spoken to in HTTP."""
    async with SocksProxy() as proxy:
        for name in PROXY_VARIABLES:
            monkeypatch.setenv(name, proxy.url("socks5"))
        with pytest.raises(NetworkError, match="HTTP_PROXY names a SOCKS proxy: set telegram"):
            await talk(with_proxy(settings, server.base_url, None))
    assert [] == proxy.targets


@pytest.mark.parametrize("kind", ["http", "socks5"])
async def test_credentials_are_used_and_never_logged(
    settings: Settings,
    server: StandinServer,
    redaction: None,
    caplog: pytest.LogCaptureFixture,
    kind: str,
) -> None:
    """A proxy that wants a user and password gets them; the log, at DEBUG, names the proxy
    with its password hidden and holds the password nowhere."""
    caplog.set_level(logging.DEBUG)
    proxy: HttpProxy | SocksProxy = (
        HttpProxy(credentials=CREDENTIALS)
        if kind == "http"
        else SocksProxy(credentials=CREDENTIALS)
    )
    async with proxy:
        await talk(with_proxy(settings, server.base_url, proxy.url(kind)))
        AiohttpRequest(proxy=proxy.url(kind))  # what registers the password for redaction
        logging.getLogger("anything").warning("connecting via %s", proxy.url(kind))
    assert 0 == proxy.refused
    assert f"through the proxy {kind}://griddesk:***@127.0.0.1:{proxy.port}" in caplog.text
    assert "connecting via" in caplog.text
    assert PASSWORD not in caplog.text


@pytest.mark.parametrize("kind", ["http", "socks5"])
async def test_a_refused_password_is_a_network_error_without_it(
    settings: Settings,
    server: StandinServer,
    redaction: None,
    caplog: pytest.LogCaptureFixture,
    kind: str,
) -> None:
    """A proxy that refuses the credentials: NetworkError, and neither its text nor its logged
    traceback shows the password (aiohttp's answer to a refused CONNECT quotes the proxy URL)."""
    caplog.handler.addFilter(RedactToken(TOKEN))  # as setup_logging puts on every handler
    proxy: HttpProxy | SocksProxy = (
        HttpProxy(credentials=("griddesk", "other"))
        if kind == "http"
        else SocksProxy(credentials=("griddesk", "other"))
    )
    # https, as to Telegram: through an http proxy that asks for a CONNECT tunnel.
    base_url = f"https://127.0.0.1:{server.port}/bot"
    async with proxy:
        url = f"{kind}://griddesk:{PASSWORD}@127.0.0.1:{proxy.port}"
        with pytest.raises(NetworkError) as raised:
            await talk(with_proxy(settings, base_url, url))
    logging.getLogger("griddesk").error("getMe failed", exc_info=raised.value)
    assert 1 <= proxy.refused
    assert "getMe failed" in caplog.text
    assert PASSWORD not in str(raised.value)
    assert PASSWORD not in caplog.text


async def test_a_refused_password_from_the_environment_is_hidden_too(
    settings: Settings, server: StandinServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No key, HTTPS_PROXY with credentials the proxy refuses: the error hides its password."""
    password = "from-the-Env1ronment"  # not one an earlier test registered
    async with HttpProxy(credentials=("griddesk", "other")) as proxy:
        for name in PROXY_VARIABLES:
            monkeypatch.setenv(name, f"http://griddesk:{password}@127.0.0.1:{proxy.port}")
        with pytest.raises(NetworkError) as raised:
            await talk(with_proxy(settings, f"https://127.0.0.1:{server.port}/bot", None))
    assert "407" in str(raised.value)
    assert password not in str(raised.value)


def write_config(tmp_path: Path, proxy: object) -> Path:
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    raw["telegram"]["proxy"] = proxy
    (tmp_path / "grids").mkdir()
    for geojson in (EXAMPLE.parent / "grids").glob("*.geojson"):
        (tmp_path / "grids" / geojson.name).write_text(geojson.read_text(encoding="utf-8"))
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("proxy", "problem"),
    [
        (f"ftp://griddesk:{PASSWORD}@10.0.0.2:21", "scheme must be one of http, https, socks5"),
        (f"socks4://griddesk:{PASSWORD}@10.0.0.2:1080", "(got socks4)"),
        (f"griddesk:{PASSWORD}@10.0.0.2:1080", "write the proxy as scheme://host:port"),
        (f"socks5://griddesk:{PASSWORD}@10.0.0.2", "give the proxy's host and port"),
        (f"http://griddesk:{PASSWORD}@10.0.0.2:port", "not a URL with a host and a numeric port"),
        (f"http://griddesk:{PASSWORD}@10.0.0.2:3128/path", "with no path"),
    ],
)
def test_a_bad_proxy_url_names_the_field_and_hides_the_password(
    tmp_path: Path, proxy: str, problem: str
) -> None:
    """A proxy URL that cannot work is refused at load with the field path, never quoted."""
    path = write_config(tmp_path, proxy)
    with pytest.raises(ConfigError) as raised:
        load_settings(path)
    assert str(raised.value).startswith(f"{path}: telegram.proxy: ")
    assert problem in str(raised.value)
    assert PASSWORD not in str(raised.value)


def test_a_rejected_proxy_is_not_echoed_by_pydantic_either() -> None:
    """Validating the model directly: the error's text does not carry the URL."""
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    raw["telegram"]["proxy"] = f"ftp://griddesk:{PASSWORD}@10.0.0.2:21"
    with pytest.raises(ValueError, match=r"telegram\.proxy") as raised:
        Settings.model_validate(raw)
    assert PASSWORD not in str(raised.value)


@pytest.mark.parametrize(
    "proxy",
    [
        f"socks5h://griddesk:{PASSWORD}@127.0.0.1:1080",
        "socks5://127.0.0.1:7891",
        "http://10.0.0.2:3128",
        f"https://griddesk:{PASSWORD}@proxy.example.net:443",
    ],
)
def test_a_good_proxy_url_loads_and_its_repr_hides_it(tmp_path: Path, proxy: str) -> None:
    """Each accepted scheme loads; the settings' repr shows no part of the URL."""
    settings = load_settings(write_config(tmp_path, proxy))
    assert proxy == settings.telegram.proxy_url
    assert proxy.split("://")[1] not in repr(settings)


def test_no_proxy_key_means_none(tmp_path: Path) -> None:
    """An absent or empty key is no proxy (the environment decides, as before)."""
    assert (None, None) == (
        load_settings(EXAMPLE).telegram.proxy_url,
        load_settings(write_config(tmp_path, "")).telegram.proxy_url,
    )


@pytest.mark.slow
def test_the_proxy_benchmark_runs_at_a_tiny_size() -> None:
    """`python -m bench.proxy` measures PTB alone and both clients on every route."""
    finished = subprocess.run(
        [sys.executable, "-m", "bench.proxy", "--requests", "2", "--rounds", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    results = json.loads(finished.stdout)
    routes = ("direct", "http proxy", "socks5 proxy")
    expected = {"PTB alone, no client"} | {
        f"{c}, {r}" for c in ("aiohttp", "httpx") for r in routes
    }
    assert expected <= results.keys()
    assert all(isinstance(results[f"aiohttp, {r}"]["client_cpu_ms"], float) for r in routes)
