"""Where the person is in a photo: pose landmarks, the person mask and faces (MediaPipe, offline
on the CPU), and whether the photo shows what a garment needs.

MediaPipe's graphs are not thread-safe and keep per-thread state, so one reader owns them and
runs every call on its own single thread.
"""

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from PIL import Image

from fitting_service.engines.base import Slot

log = logging.getLogger(__name__)


class Landmark(IntEnum):
    """MediaPipe Pose landmark numbers ("left" is the person's left)."""

    NOSE = 0
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28


_VISIBLE = 0.5
_FACE_SCORE = 0.6


class PhotoRejected(ValueError):
    """The photo cannot be dressed; the message tells the person what to send instead."""


NO_PERSON = "사진에서 사람을 찾지 못했어요. 한 사람이 정면으로 나온 사진을 보내주세요."
SEVERAL_PEOPLE = "사진에 여러 사람이 있어요. 혼자 나온 사진을 보내주세요."
TOO_SMALL = (
    "사람이 너무 작게 나왔어요. 몸이 사진의 대부분을 채우도록 가까이에서 찍은 사진을 보내주세요."
)
UPPER_CUT_OFF = (
    "상의를 입어보려면 얼굴 아래로 양쪽 어깨와 가슴이 보여야 해요. "
    "상반신이 정면으로 나온 사진을 보내주세요."
)
LOWER_CUT_OFF = (
    "하의를 입어보려면 허리부터 허벅지 아래까지 보여야 해요. 전신이 나온 사진을 보내주세요."
)


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def grown(self, fraction: float, width: int, height: int) -> "Box":
        dx, dy = (self.x1 - self.x0) * fraction, (self.y1 - self.y0) * fraction
        return Box(
            max(0.0, self.x0 - dx),
            max(0.0, self.y0 - dy),
            min(float(width), self.x1 + dx),
            min(float(height), self.y1 + dy),
        )


@dataclass(frozen=True)
class Body:
    """One person in a photo, in pixel coordinates of that photo."""

    width: int
    height: int
    # (33, 3): x, y in pixels and visibility 0..1.
    landmarks: np.ndarray
    # (height, width) float32 0..1: how surely each pixel is the person.
    person_mask: np.ndarray
    faces: tuple[Box, ...]

    def point(self, mark: Landmark) -> np.ndarray:
        return self.landmarks[mark, :2]

    def visible(self, *marks: Landmark) -> bool:
        """Every mark is seen (not guessed) and inside the picture."""
        for mark in marks:
            x, y, seen = self.landmarks[mark]
            if seen < _VISIBLE or not (0 <= x < self.width and 0 <= y < self.height):
                return False
        return True

    @property
    def shoulder_width(self) -> float:
        return float(
            np.linalg.norm(self.point(Landmark.LEFT_SHOULDER) - self.point(Landmark.RIGHT_SHOULDER))
        )

    @property
    def shoulder_center(self) -> np.ndarray:
        return (self.point(Landmark.LEFT_SHOULDER) + self.point(Landmark.RIGHT_SHOULDER)) / 2

    @property
    def hip_center(self) -> np.ndarray:
        return (self.point(Landmark.LEFT_HIP) + self.point(Landmark.RIGHT_HIP)) / 2

    @property
    def face(self) -> Box | None:
        return self.faces[0] if self.faces else None

    def require(self, slots: set[Slot]) -> None:
        """Raises PhotoRejected when the photo does not show where the garments go."""
        if self.shoulder_width < max(24.0, 0.06 * max(self.width, self.height)):
            raise PhotoRejected(TOO_SMALL)
        if "upper" in slots and not self.visible(Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER):
            raise PhotoRejected(UPPER_CUT_OFF)
        if "lower" in slots:
            if not self.visible(Landmark.LEFT_HIP, Landmark.RIGHT_HIP):
                raise PhotoRejected(LOWER_CUT_OFF)
            torso = float(np.linalg.norm(self.hip_center - self.shoulder_center))
            # Trousers need at least the thighs in the picture.
            if self.height - self.hip_center[1] < 0.5 * torso:
                raise PhotoRejected(LOWER_CUT_OFF)


class BodyReader:
    """Finds the person in photos with MediaPipe Pose (with segmentation) and face detection."""

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="body-reader")
        self._pose = None
        self._faces = None

    def _load(self) -> None:
        if self._pose is None:
            import mediapipe as mp  # imported here: loading it takes about two seconds

            self._pose = mp.solutions.pose.Pose(
                static_image_mode=True, model_complexity=1, enable_segmentation=True
            )
            # The full-range model also finds small and distant faces (for "several people").
            self._faces = mp.solutions.face_detection.FaceDetection(
                model_selection=1, min_detection_confidence=_FACE_SCORE
            )

    async def warm_up(self) -> None:
        """Loads the models (so the first person does not wait for them)."""
        await asyncio.get_running_loop().run_in_executor(self._thread, self._load)

    async def read(self, photo: Image.Image) -> Body:
        """The one person in `photo`; raises PhotoRejected when there is none or several."""
        pixels = np.asarray(photo.convert("RGB"))
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._read, pixels)

    def _read(self, pixels: np.ndarray) -> Body:
        self._load()
        height, width = pixels.shape[:2]
        faces = self._find_faces(pixels, width, height)
        pose = self._pose.process(pixels)
        if len(faces) > 1:
            raise PhotoRejected(SEVERAL_PEOPLE)
        if pose.pose_landmarks is None:
            raise PhotoRejected(NO_PERSON if not faces else TOO_SMALL)
        marks = np.array(
            [(p.x * width, p.y * height, p.visibility) for p in pose.pose_landmarks.landmark],
            dtype=np.float32,
        )
        mask = pose.segmentation_mask
        if mask is None or mask.shape != (height, width):
            raise PhotoRejected(NO_PERSON)
        return Body(
            width=width,
            height=height,
            landmarks=marks,
            person_mask=np.asarray(mask, dtype=np.float32),
            faces=tuple(faces),
        )

    def _find_faces(self, pixels: np.ndarray, width: int, height: int) -> list[Box]:
        found = self._faces.process(pixels).detections or []
        faces = []
        for detection in found:
            box = detection.location_data.relative_bounding_box
            faces.append(
                Box(
                    box.xmin * width,
                    box.ymin * height,
                    (box.xmin + box.width) * width,
                    (box.ymin + box.height) * height,
                )
            )
        # The person's own face first (the largest).
        return sorted(faces, key=lambda b: -b.height)

    def close(self) -> None:
        for graph in (self._pose, self._faces):
            if graph is not None:
                graph.close()
        self._thread.shutdown(wait=False)
