"""``lernnetz data fetch``: download path against a local HTTP server on 127.0.0.1, and --from.

The server serves REAL register files (a workbook in the official layout built from real rows
of ../shared/data, or the shared CSVs themselves). Nothing leaves the machine.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from lernnetz.graph.writer import LOCK_NAME
from lernnetz.loaders.boundaries_fetch import fetch_boundaries, read_boundaries_metadata
from lernnetz.loaders.fetch import (
    DESTATIS_URL,
    METADATA_FILE,
    OLDEST_YEAR,
    FetchError,
    cached_register_path,
    fetch_register,
    load_cached_register,
    read_metadata,
)
from lernnetz.loaders.register import read_register
from tests.xlsx_layout import (
    CLEAN_CSV,
    ORIGINAL_CSV,
    SHARED_DATA,
    read_original_rows,
    rows_of_laender,
    write_register_xlsx,
)

PATH_TEMPLATE = "/DE/Themen/GVAuszugJ/3112{year}_Auszug_GV.xlsx?__blob=publicationFile"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Route:
    """What the test server answers for one path."""

    status: int = 200
    body: bytes = b""
    content_type: str = XLSX_TYPE
    #: Content-Length to announce; larger than ``len(body)`` simulates an interrupted transfer.
    declared_length: int | None = None


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        route = self.server.routes.get(
            self.path, Route(status=404, body=b"not found", content_type="text/plain")
        )
        self.send_response(route.status)
        self.send_header("Content-Type", route.content_type)
        length = route.declared_length if route.declared_length is not None else len(route.body)
        self.send_header("Content-Length", str(length))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(route.body)
        self.wfile.flush()
        self.close_connection = True  # then the socket closes, short of the announced length

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def url(self, year: int) -> str:
        return self.base + PATH_TEMPLATE.format(year=year)

    @property
    def template(self) -> str:
        """The injectable ``base_url`` with ``{year}``, shaped like :data:`DESTATIS_URL`."""
        return self.base + PATH_TEMPLATE

    def serve(self, year: int, route: Route) -> str:
        self.routes[PATH_TEMPLATE.format(year=year)] = route
        return self.url(year)


@pytest.fixture(autouse=True)
def _extracts_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests serve small real extracts (two or three Länder) to test the transport and
    the atomic install; the whole-register check (10,000 Gemeinden, 16 Länder) has its own
    tests in ``tests/test_plausibility.py``."""
    monkeypatch.setattr("lernnetz.loaders.fetch.check_register_whole", lambda *_: None)


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(5)


@pytest.fixture(scope="module")
def register_xlsx(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A real register workbook (official layout) with the rows of Bremen, Saarland, Berlin."""
    rows = rows_of_laender(read_original_rows(), {"04", "10", "11"})
    path = write_register_xlsx(tmp_path_factory.mktemp("srv") / "31122020_Auszug_GV.xlsx", rows)
    return path.read_bytes()


@pytest.fixture(scope="module")
def other_xlsx(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """Another real workbook (Hamburg and Schleswig-Holstein) to tell two installs apart."""
    rows = rows_of_laender(read_original_rows(), {"01", "02"})
    path = write_register_xlsx(tmp_path_factory.mktemp("srv") / "31122020_Auszug_GV.xlsx", rows)
    return path.read_bytes()


def _leftovers(data_dir: Path) -> list[str]:
    """Files other than the installed register, its metadata and the writers' lock file
    (temp/half files)."""
    keep = {"register.xlsx", "register.csv", METADATA_FILE, LOCK_NAME}
    return sorted(p.name for p in data_dir.iterdir() if p.name not in keep)


def test_destatis_url_pattern() -> None:
    url = DESTATIS_URL.format(year=2020)
    assert url.startswith("https://www.destatis.de/")
    assert url.endswith("/31122020_Auszug_GV.xlsx?__blob=publicationFile")
    assert "/GVAuszugJ/" in url


def test_download_success_records_provenance(server: _Server, tmp_path: Path, register_xlsx: bytes) -> None:
    url = server.serve(2020, Route(body=register_xlsx))
    data_dir = tmp_path / "cache"
    result = fetch_register(data_dir, years=[2020], base_url=server.template, progress=False)
    assert result.path == data_dir / "register.xlsx"
    assert result.path.read_bytes() == register_xlsx
    meta = json.loads((data_dir / METADATA_FILE).read_text(encoding="utf-8"))
    assert meta == result.metadata == read_metadata(data_dir)
    assert meta["sha256"] == hashlib.sha256(register_xlsx).hexdigest()
    assert meta["bytes"] == len(register_xlsx)
    assert meta["source"] == meta["url"] == url
    assert meta["stichtag"] == "2020-12-31"
    assert meta["format"] == "xlsx"
    assert meta["licence"] == "dl-de/by-2-0"
    assert "Destatis" in meta["attribution"] and "31.12.2020" in meta["attribution"]
    fetched = datetime.fromisoformat(meta["fetched_at"])
    assert fetched.tzinfo is not None and abs((datetime.now(UTC) - fetched).total_seconds()) < 120
    parsed = read_register(result.path)
    assert meta["counts"]["municipalities"] == len(parsed.municipalities) == 2 + 53 + 1
    assert meta["counts"]["states"] == 3
    assert meta["counts"]["population"] == sum(m.population for m in parsed.municipalities)
    assert cached_register_path(data_dir) == result.path
    cached = load_cached_register(data_dir)
    assert cached.provenance.sha256 == meta["sha256"]
    assert cached.provenance.url == url
    assert cached.provenance.stichtag == "2020-12-31"
    assert _leftovers(data_dir) == []
    assert server.requests == [PATH_TEMPLATE.format(year=2020)]


def test_newest_year_first_fallback(server: _Server, tmp_path: Path, register_xlsx: bytes) -> None:
    """Not yet published editions (404, or an HTML page with 200) are skipped, newest first."""
    this_year = datetime.now(UTC).year
    server.serve(2020, Route(body=register_xlsx))
    server.serve(2019, Route(body=b"must not be requested"))
    server.serve(
        2021, Route(body=b"<!DOCTYPE html><html>Seite nicht gefunden</html>", content_type="text/html")
    )
    result = fetch_register(tmp_path, base_url=server.template)  # progress on: quiet without a terminal
    expected_years = list(range(this_year - 1, 2019, -1))
    assert server.requests == [PATH_TEMPLATE.format(year=y) for y in expected_years]
    assert result.metadata["url"] == server.url(2020)
    assert result.stichtag == "2020-12-31"
    assert [u for u, _ in result.tried] == [server.url(y) for y in expected_years[:-1]]
    reasons = dict(result.tried)
    assert "404" in reasons[server.url(this_year - 1)]
    assert "HTML" in reasons[server.url(2021)]
    assert OLDEST_YEAR <= 2019


def test_no_edition_found_says_use_from(server: _Server, tmp_path: Path) -> None:
    with pytest.raises(FetchError) as exc:
        fetch_register(tmp_path, years=[2022, 2021], base_url=server.template, progress=False)
    text = str(exc.value)
    assert "--from PATH_OR_URL" in text
    assert server.url(2022) in text and server.url(2021) in text and "404" in text
    assert list(tmp_path.iterdir()) == []


def test_network_failure_says_use_from(tmp_path: Path) -> None:
    srv = _Server()  # bound, never served, then closed: the port refuses connections
    template = srv.template
    srv.server_close()
    with pytest.raises(FetchError) as exc:
        fetch_register(tmp_path, years=[2023, 2022], base_url=template, timeout=5, progress=False)
    text = str(exc.value)
    assert "network error" in text and "--from PATH_OR_URL" in text
    assert template.format(year=2023) in text
    assert list(tmp_path.iterdir()) == []


def test_other_http_status_stops_with_the_status(server: _Server, tmp_path: Path) -> None:
    server.serve(2023, Route(status=503, body=b"busy", content_type="text/plain"))
    with pytest.raises(FetchError) as exc:
        fetch_register(tmp_path, years=[2023, 2022], base_url=server.template, progress=False)
    assert exc.value.status == 503
    assert exc.value.problems[0].file == server.url(2023)
    assert "HTTP 503" in str(exc.value)
    assert server.requests == [PATH_TEMPLATE.format(year=2023)]  # no silent fallback to an older edition


def _install_good(server: _Server, data_dir: Path, body: bytes) -> dict[str, object]:
    server.serve(2020, Route(body=body))
    fetch_register(data_dir, years=[2020], base_url=server.template, progress=False)
    meta = read_metadata(data_dir)
    assert meta is not None
    return meta


def test_interrupted_transfer_keeps_previous(
    server: _Server, tmp_path: Path, register_xlsx: bytes, other_xlsx: bytes
) -> None:
    data_dir = tmp_path / "cache"
    before = _install_good(server, data_dir, register_xlsx)
    half = other_xlsx[: len(other_xlsx) // 2]
    url = server.serve(2021, Route(body=half, declared_length=len(other_xlsx)))
    with pytest.raises(FetchError) as exc:
        fetch_register(data_dir, years=[2021], base_url=server.template, progress=False)
    text = str(exc.value)
    assert url in text and "interrupted" in text
    assert f"{len(half)} of {len(other_xlsx)} bytes" in text
    assert (data_dir / "register.xlsx").read_bytes() == register_xlsx
    assert read_metadata(data_dir) == before
    assert _leftovers(data_dir) == []


@pytest.mark.parametrize("corruption", ["truncated-xlsx", "png", "duplicate-ags"])
def test_corrupt_download_keeps_previous(
    server: _Server, tmp_path: Path, register_xlsx: bytes, other_xlsx: bytes, corruption: str
) -> None:
    """A complete transfer of a file that is not a valid register: error, previous file intact."""
    data_dir = tmp_path / "cache"
    before = _install_good(server, data_dir, register_xlsx)
    if corruption == "truncated-xlsx":
        body = other_xlsx[: int(len(other_xlsx) * 0.8)]
    elif corruption == "png":
        body = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    else:  # a real clean CSV with one real row repeated
        lines = CLEAN_CSV.read_text(encoding="utf-8").splitlines(keepends=True)[:20]
        body = "".join([*lines, lines[3]]).encode("utf-8")
    url = server.serve(2021, Route(body=body, content_type="application/octet-stream"))
    with pytest.raises(FetchError) as exc:
        fetch_register(data_dir, years=[2021], base_url=server.template, progress=False)
    problem = exc.value.problems[0]
    assert problem.file == url
    assert "not a valid Gemeindeverzeichnis" in problem.message
    if corruption == "duplicate-ags":
        assert (problem.row, problem.column) == (21, "ags")
        assert problem.value == lines[3].split(",", 1)[0]
    assert (data_dir / "register.xlsx").read_bytes() == register_xlsx
    assert read_metadata(data_dir) == before
    assert _leftovers(data_dir) == []


def test_explicit_url_source(server: _Server, tmp_path: Path) -> None:
    """--from a URL: here the clean CSV of the shared data, served over HTTP."""
    body = CLEAN_CSV.read_bytes()
    server.routes["/data/gemeinden_gv_2020-12-31.csv"] = Route(body=body, content_type="text/csv")
    url = server.base + "/data/gemeinden_gv_2020-12-31.csv"
    result = fetch_register(tmp_path, url, progress=False)
    assert result.path == tmp_path / "register.csv"
    assert result.metadata["url"] == url
    assert result.metadata["format"] == "csv-clean"
    assert result.metadata["stichtag"] == "2020-12-31"
    counts = result.metadata["counts"]
    assert (counts["municipalities"], counts["gemeinden"], counts["unincorporated"]) == (11_004, 10_794, 210)
    assert (counts["districts"], counts["states"], counts["population"]) == (401, 16, 83_166_711)


def test_from_shared_folder(tmp_path: Path) -> None:
    """--from ../shared/data picks the register there (no XLSX in it: the clean CSV)."""
    result = fetch_register(tmp_path, SHARED_DATA, progress=False)
    assert result.metadata["source"] == str(CLEAN_CSV.resolve())
    assert result.metadata["url"] == ""
    assert result.metadata["sha256"] == hashlib.sha256(CLEAN_CSV.read_bytes()).hexdigest()
    assert result.path.read_bytes() == CLEAN_CSV.read_bytes()
    assert result.metadata["counts"]["municipalities"] == 11_004
    assert result.metadata["counts"]["population"] == 83_166_711
    assert result.stichtag == "2020-12-31"
    assert _leftovers(tmp_path) == []


def test_from_folder_prefers_the_official_xlsx(tmp_path: Path, register_xlsx: bytes) -> None:
    folder = tmp_path / "copy"
    (folder / "destatis").mkdir(parents=True)
    shutil.copy(CLEAN_CSV, folder / "destatis" / CLEAN_CSV.name)
    (folder / "31122020_Auszug_GV.xlsx").write_bytes(register_xlsx)
    result = fetch_register(tmp_path / "cache", folder, progress=False)
    assert result.metadata["format"] == "xlsx"
    assert result.metadata["source"] == str((folder / "31122020_Auszug_GV.xlsx").resolve())


def test_from_local_file_then_another_form_replaces_it(tmp_path: Path, register_xlsx: bytes) -> None:
    assert ORIGINAL_CSV is not None
    data_dir = tmp_path / "cache"
    first = fetch_register(data_dir, ORIGINAL_CSV, progress=False)
    assert first.path == data_dir / "register.csv"
    assert first.metadata["format"] == "csv-export"
    assert first.metadata["counts"]["districts"] == 401
    xlsx = tmp_path / "31122020_Auszug_GV.xlsx"
    xlsx.write_bytes(register_xlsx)
    second = fetch_register(data_dir, str(xlsx), progress=False)
    assert second.path == data_dir / "register.xlsx"
    assert not (data_dir / "register.csv").exists()  # the stale other form is gone
    assert cached_register_path(data_dir) == second.path
    assert read_metadata(data_dir) == second.metadata


def test_from_missing_or_unusable_source(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(FetchError) as exc:
        fetch_register(tmp_path / "cache", missing, progress=False)
    assert exc.value.problems[0].file == str(missing)
    empty_folder = tmp_path / "empty"
    empty_folder.mkdir()
    with pytest.raises(FetchError) as exc:
        fetch_register(tmp_path / "cache", empty_folder, progress=False)
    assert exc.value.problems[0].file == str(empty_folder)
    assert "_Auszug_GV.xlsx" in exc.value.problems[0].message
    assert cached_register_path(tmp_path / "cache") is None
    assert read_metadata(tmp_path / "cache") is None


# --------------------------------------------------------------------------- boundaries


def test_fetch_boundaries_from_shared_folder(tmp_path: Path) -> None:
    """--from ../shared/data picks bkg_vg5000/*.geojson; neighbours.csv is computed beside."""
    fetch_register(tmp_path, SHARED_DATA, progress=False)
    meta = fetch_boundaries(tmp_path, SHARED_DATA, progress=False)
    assert meta == read_boundaries_metadata(tmp_path)
    assert {k: v["features"] for k, v in meta["levels"].items()} == {
        "gemeinden": 10_997,
        "kreise": 401,
        "laender": 25,
    }
    assert meta["stand"] == "2021-01-01"
    assert "GeoBasis-DE / BKG 2021" in meta["attribution"]
    src = SHARED_DATA / "bkg_vg5000" / "vg5000_krs_2021-01-01_wgs84.geojson"
    installed = tmp_path / "boundaries" / meta["dir"] / meta["levels"]["kreise"]["file"]
    assert meta["levels"]["kreise"]["sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
    assert installed.read_bytes() == src.read_bytes()
    n = meta["neighbours"]
    assert n["pairs"] == 30_993
    assert n["pairs_in_register"] + n["pairs_not_in_register"] == 30_993
    assert n["polygon_keys_not_in_register"] == ["07132502", "16065089"]
    lines = (tmp_path / "neighbours.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "ags_a,ags_b,shared_border_km" and len(lines) == 30_994
    # a second fetch replaces the folder atomically and removes the old one
    again = fetch_boundaries(tmp_path, SHARED_DATA, progress=False, neighbours=False)
    assert again["dir"] != meta["dir"]
    assert sorted(p.name for p in (tmp_path / "boundaries").iterdir()) == sorted(
        ["boundaries.json", again["dir"]]
    )


def test_fetch_boundaries_bad_file_keeps_previous(server: _Server, tmp_path: Path) -> None:
    src = SHARED_DATA / "bkg_vg5000" / "vg5000_krs_2021-01-01_wgs84.geojson"
    server.routes["/vg/vg5000_krs_2021-01-01.geojson"] = Route(
        body=src.read_bytes(), content_type="application/geo+json"
    )
    good = fetch_boundaries(tmp_path, server.base + "/vg/vg5000_krs_2021-01-01.geojson", progress=False)
    assert good["levels"]["kreise"]["features"] == 401
    assert good["stand"] == "2021-01-01"
    broken = src.read_bytes()[:5000]  # a GeoJSON cut short
    server.routes["/vg/vg5000_krs_2022-01-01.geojson"] = Route(
        body=broken, content_type="application/geo+json"
    )
    with pytest.raises(FetchError) as exc:
        fetch_boundaries(tmp_path, server.base + "/vg/vg5000_krs_2022-01-01.geojson", progress=False)
    assert "GeoJSON" in str(exc.value)
    assert read_boundaries_metadata(tmp_path) == good
    assert sorted(p.name for p in (tmp_path / "boundaries").iterdir()) == sorted(
        ["boundaries.json", good["dir"]]
    )


def test_cli_interrupted_download_exits_2(server: _Server, tmp_path: Path, register_xlsx: bytes) -> None:
    """`lernnetz data fetch --from URL`: an interrupted transfer exits 2 naming the URL; cache intact."""
    from typer.testing import CliRunner

    from lernnetz.api.cli.common import app

    env = {"LERNNETZ_DATA_DIR": str(tmp_path / "cache"), "LERNNETZ_BACKEND": "networkx"}
    runner = CliRunner()
    good = server.serve(2020, Route(body=register_xlsx))
    r = runner.invoke(app, ["data", "fetch", "--from", good], env=env)
    assert r.exit_code == 0, r.output
    before = read_metadata(tmp_path / "cache")
    cut = server.serve(2021, Route(body=register_xlsx[:1000], declared_length=len(register_xlsx)))
    r = runner.invoke(app, ["data", "fetch", "--from", cut], env=env)
    assert r.exit_code == 2
    out = r.output.replace("\n", "")
    assert cut in out and "interrupted" in out
    assert read_metadata(tmp_path / "cache") == before
    assert (tmp_path / "cache" / "register.xlsx").read_bytes() == register_xlsx
    assert _leftovers(tmp_path / "cache") == []


def _bkg_levels() -> dict[str, object]:
    """The shared VG5000 Kreise and Länder (real BKG data) as GeoDataFrames."""
    import geopandas as gpd

    base = SHARED_DATA / "bkg_vg5000"
    keep = ["AGS", "ARS", "GEN", "BEZ", "GF", "geometry"]  # the BKG attributes a Shapefile can hold as is
    return {
        "KRS": gpd.read_file(base / "vg5000_krs_2021-01-01_wgs84.geojson")[keep],
        "LAN": gpd.read_file(base / "vg5000_lan_2021-01-01_wgs84.geojson")[keep],
    }


def test_fetch_boundaries_from_a_bkg_zip_of_shapefiles(tmp_path: Path) -> None:
    """The publisher ships ZIPs of Shapefiles (VG250_KRS.shp …) with aktualitaet.txt."""
    import zipfile

    from lernnetz.loaders.boundaries import read_kreise, read_laender

    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    for code, frame in _bkg_levels().items():
        frame.to_crs("EPSG:25832").to_file(shp_dir / f"VG5000_{code}.shp", engine="pyogrio")  # type: ignore[attr-defined]
    archive = tmp_path / "vg5000_01-01.utm32s.shape.ebenen.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in sorted(shp_dir.iterdir()):
            zf.write(f, f"vg5000_01-01.utm32s.shape.ebenen/vg5000_ebenen_0101/{f.name}")
        zf.writestr("vg5000_01-01.utm32s.shape.ebenen/aktualitaet.txt", "01.01.2021\n")
    meta = fetch_boundaries(tmp_path / "cache", archive, progress=False)
    assert set(meta["levels"]) == {"kreise", "laender"}
    assert meta["levels"]["kreise"]["file"] == "kreise.shp"
    assert meta["levels"]["kreise"]["features"] == 401
    assert meta["stand"] == "2021-01-01"
    installed = sorted(p.name for p in (tmp_path / "cache" / "boundaries" / meta["dir"]).iterdir())
    assert {"kreise.shp", "kreise.shx", "kreise.dbf", "kreise.prj"} <= set(installed)
    kreise = read_kreise(tmp_path / "cache")
    assert kreise.crs.to_epsg() == 4326 and len(kreise) == 401
    assert len(read_laender(tmp_path / "cache")) == 16
    # a truncated archive: error, the installed boundaries stay
    cut = tmp_path / "cut.zip"
    cut.write_bytes(archive.read_bytes()[:4000])
    with pytest.raises(FetchError):
        fetch_boundaries(tmp_path / "cache", cut, progress=False)
    assert read_boundaries_metadata(tmp_path / "cache") == meta


def test_fetch_boundaries_from_a_geopackage(tmp_path: Path) -> None:
    from lernnetz.loaders.boundaries import read_kreise, read_laender

    gpkg = tmp_path / "vg5000_2021-01-01.gpkg"
    for code, frame in _bkg_levels().items():
        frame.to_file(gpkg, layer=f"vg5000_{code.lower()}", driver="GPKG", engine="pyogrio")  # type: ignore[attr-defined]
    meta = fetch_boundaries(tmp_path / "cache", gpkg, progress=False)
    assert {k: (v["file"], v["layer"], v["features"]) for k, v in meta["levels"].items()} == {
        "kreise": ("boundaries.gpkg", "vg5000_krs", 401),
        "laender": ("boundaries.gpkg", "vg5000_lan", 25),
    }
    assert sorted(read_kreise(tmp_path / "cache")["key"])[:2] == ["01001", "01002"]
    assert len(read_laender(tmp_path / "cache")) == 16
