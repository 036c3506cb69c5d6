"""Grid lookup: microseconds to place a point among many grid polygons."""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

from bot.core.routing import GridIndex

REPEATS = 5


def synthetic_grids(count: int) -> list[tuple[str, dict[str, Any]]]:
    """``count`` square grids of ~200 m tiling a city-sized area around 34.6N 119.2E."""
    side = int(count**0.5) + 1
    size = 0.002
    grids = []
    for n in range(count):
        row, col = divmod(n, side)
        lat, lon = 34.5 + row * size, 119.1 + col * size
        ring = [
            [lon, lat],
            [lon + size, lat],
            [lon + size, lat + size],
            [lon, lat + size],
            [lon, lat],
        ]
        grids.append((f"g{n}", {"type": "Polygon", "coordinates": [ring]}))
    return grids


def run(polygons: int = 10_000, lookups: int = 20_000) -> dict[str, Any]:
    grids = synthetic_grids(polygons)
    builds = []
    for _ in range(3):
        started = time.perf_counter()
        index = GridIndex(grids)
        builds.append(time.perf_counter() - started)
    side = int(polygons**0.5) + 1
    rng = random.Random(3)
    points = [
        (34.5 + rng.uniform(0, side * 0.002), 119.1 + rng.uniform(0, side * 0.002))
        for _ in range(lookups)
    ]
    per_lookup = []
    # The first pass also clips each edge cell the first time a point falls in it.
    started = time.perf_counter()
    for lat, lon in points:
        index.locate(lat, lon, 150.0)
    first_pass = (time.perf_counter() - started) / lookups * 1e6
    for _ in range(REPEATS):
        started = time.perf_counter()
        for lat, lon in points:
            index.locate(lat, lon, 150.0)
        per_lookup.append((time.perf_counter() - started) / lookups * 1e6)
    return {
        "polygons": polygons,
        "lookups": lookups,
        "us_per_lookup_median": round(statistics.median(per_lookup), 2),
        "us_per_lookup_min_max": [round(min(per_lookup), 2), round(max(per_lookup), 2)],
        "us_per_lookup_first_pass": round(first_pass, 2),
        "target_us": 20,
        "build_s_median": round(statistics.median(builds), 3),
        "build_target_s": 0.5,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
