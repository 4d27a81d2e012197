"""Seconds per picture of the local try-on engine, normal and HD.

    uv run python bench/bench_fitting.py [--runs 20]

Each run does what a worker does for one task, in process: read the photo (decode, upright,
resize), find the person (MediaPipe pose, person mask, faces), cut the garments out of their
catalog pictures, dress the photo, check the result with the quality gate and encode the JPEG.
The photo is scikit-image's public-domain `astronaut` scaled to 1600 px (so normal renders at
768 px and HD at 1536 px); the garments are a top and trousers drawn by the demo catalog's own
picture code. Models are loaded (and one run made) before timing.
"""

import argparse
import asyncio
import io
import statistics
import time

import numpy as np
from PIL import Image
from skimage import data

from fitting_service.body import BodyReader
from fitting_service.engines.base import Garment, RenderJob
from fitting_service.engines.local import LocalEngine
from fitting_service.photos import read_photo
from fitting_service.quality_gate import check_result
from fitting_service.settings import FittingSettings
from product_service.images import Look, render_look


def _photo() -> bytes:
    image = Image.fromarray(data.astronaut()).resize((1600, 1600), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


async def _one(reader: BodyReader, engine: LocalEngine, photo: bytes, top: bytes, size: int):
    started = time.perf_counter()
    read = await asyncio.to_thread(read_photo, photo, max_side=size)
    body = await reader.read(read.image)
    body.require({"upper"})
    job = RenderJob(
        photo=read.image,
        photo_jpeg=read.jpeg,
        body=body,
        garments=(Garment(product_id="bench", slot="upper", image=top),),
        hd=size > 1000,
    )

    async def progress(_: int) -> None:
        return None

    result = await engine.render(job, progress=progress)
    await asyncio.to_thread(check_result, read.image, body, result, {"upper"})
    return time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    settings = FittingSettings(redis_url="redis://unused")
    photo = _photo()
    top = render_look(Look("shirt", "#1f3a93", ""))
    reader = BodyReader()
    started = time.perf_counter()
    await reader.warm_up()
    print(f"models loaded in {time.perf_counter() - started:.2f} s")
    engine = LocalEngine()
    for label, size in (("normal", settings.render_size), ("HD", settings.render_size_hd)):
        await _one(reader, engine, photo, top, size)
        times = [await _one(reader, engine, photo, top, size) for _ in range(args.runs)]
        p95 = float(np.percentile(times, 95))
        print(
            f"{label:>6} ({size} px): p50 {statistics.median(times):.3f} s, "
            f"p95 {p95:.3f} s, max {max(times):.3f} s over {args.runs} runs"
        )
    reader.close()


if __name__ == "__main__":
    asyncio.run(main())
