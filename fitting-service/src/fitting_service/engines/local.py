"""The offline try-on engine: the catalog garments cut out, fitted to the person's pose and
blended into their own photo (no network, no key, CPU only)."""

import asyncio

import numpy as np

from fitting_service.dressing import dress
from fitting_service.engines.base import Progress, RenderJob
from fitting_service.garment_cutout import cut_out
from fitting_service.photos import encode_jpeg


class LocalEngine:
    name = "local"

    async def render(self, job: RenderJob, *, progress: Progress) -> bytes:
        cutouts = await asyncio.to_thread(
            lambda: {g.slot: cut_out(g.image, g.slot, full_body=g.full_body) for g in job.garments}
        )
        await progress(40)
        dressed = await asyncio.to_thread(dress, np.asarray(job.photo), job.body, cutouts)
        await progress(85)
        from PIL import Image

        return await asyncio.to_thread(encode_jpeg, Image.fromarray(dressed.image), 93)
