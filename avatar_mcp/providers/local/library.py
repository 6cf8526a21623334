"""The local studio's avatars on disk: the bundled public-domain portraits and the user's own avatars.

Each avatar is a folder under <data dir>/local/avatars/<avatar_id>/ holding meta.json and either a portrait
(image.png + points.npy, the 68 face landmarks) or a digital twin's prepared footage (footage/). The bundled
portraits get their landmarks detected once, on first use, and cached the same way.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from avatar_mcp.errors import InvalidInput, MediaRejected

if TYPE_CHECKING:
    import numpy as np

    from avatar_mcp.providers.local.studio import Footage, Portrait

ASSETS = Path(__file__).resolve().parent.parent.parent / "assets" / "portraits"
AvatarKind = Literal["stock", "photo", "illustrated", "digital_twin", "companion"]

STOCK: dict[str, tuple[str, str, str]] = {
    "local-grace": ("Grace (public-domain photo of Grace Hopper)", "grace_hopper.jpg", "female"),
    "local-eileen": ("Eileen (public-domain NASA photo of Eileen Collins)", "astronaut.jpg", "female"),
}
_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


@dataclass
class StoredAvatar:
    avatar_id: str
    name: str
    kind: AvatarKind
    gender: str | None = None
    default_voice_id: str | None = None
    status: Literal["processing", "completed", "failed"] = "completed"
    created_at: str = ""
    source: str | None = None
    footage: bool = False
    message: str | None = None


class AvatarLibrary:
    def __init__(self, root: Path) -> None:
        self.root = root / "avatars"
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    # ------------------------------------------------------------------------------------------ catalogue
    def list(self) -> list[StoredAvatar]:
        own = []
        for meta in sorted(self.root.glob("*/meta.json")):
            avatar = self._read(meta)
            if avatar is not None and avatar.avatar_id not in STOCK:
                own.append(avatar)
        own.sort(key=lambda a: a.created_at, reverse=True)
        return [*own, *(self._stock(i) for i in STOCK)]

    def get(self, avatar_id: str) -> StoredAvatar:
        if avatar_id in STOCK:
            return self._stock(avatar_id)
        avatar = self._read(self.root / avatar_id / "meta.json") if _ID.match(avatar_id) else None
        if avatar is None:
            known = ", ".join(a.avatar_id for a in self.list()[:12])
            raise InvalidInput(f"The local studio has no avatar {avatar_id!r}. Known avatars: {known}. Call "
                               f"list_avatars(provider='local'), or create one with create_photo_avatar.",
                               field="avatar_id")
        return avatar

    def _stock(self, avatar_id: str) -> StoredAvatar:
        name, _, gender = STOCK[avatar_id]
        return StoredAvatar(avatar_id=avatar_id, name=name, kind="stock", gender=gender, created_at="")

    def _read(self, meta: Path) -> StoredAvatar | None:
        try:
            return StoredAvatar(**json.loads(meta.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None

    def _write(self, avatar: StoredAvatar) -> None:
        folder = self.root / avatar.avatar_id
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f"meta.json.{os.getpid()}.{threading.get_ident()}.tmp"
        tmp.write_text(json.dumps(asdict(avatar), indent=1), encoding="utf-8")
        tmp.replace(folder / "meta.json")

    # ------------------------------------------------------------------------------------------ create
    def new_id(self, kind: str) -> str:
        prefix = {"digital_twin": "twin", "illustrated": "drawn"}.get(kind, kind)
        return f"local-{prefix}-{secrets.token_hex(4)}"

    def save_portrait(self, avatar_id: str, name: str, kind: AvatarKind, image: np.ndarray, points: np.ndarray, *,
                      gender: str | None, default_voice_id: str | None, source: str | None) -> StoredAvatar:
        import cv2
        import numpy as np

        folder = self.root / avatar_id
        folder.mkdir(parents=True, exist_ok=True)
        # Written under private names, then renamed: several server processes may prepare the same bundled
        # portrait at once, and a reader must never see half a file.
        partial = f".{os.getpid()}.{threading.get_ident()}.part"
        image_tmp, points_tmp = folder / f"image{partial}.png", folder / f"points{partial}.npy"
        if not cv2.imwrite(str(image_tmp), image):
            raise MediaRejected("Could not store the avatar image.")
        np.save(points_tmp, np.asarray(points, dtype=np.float64))
        points_tmp.replace(folder / "points.npy")
        image_tmp.replace(folder / "image.png")
        avatar = StoredAvatar(avatar_id=avatar_id, name=name, kind=kind, gender=gender,
                              default_voice_id=default_voice_id, created_at=_now(), source=source)
        self._write(avatar)
        return avatar

    def begin_twin(self, avatar_id: str, name: str, kind: AvatarKind, *, gender: str | None,
                   default_voice_id: str | None, source: str | None) -> StoredAvatar:
        avatar = StoredAvatar(avatar_id=avatar_id, name=name, kind=kind, gender=gender, footage=True,
                              default_voice_id=default_voice_id, status="processing", created_at=_now(),
                              source=source)
        self._write(avatar)
        return avatar

    def finish_twin(self, avatar: StoredAvatar, footage: Footage, preview: np.ndarray | None) -> StoredAvatar:
        import cv2

        folder = self.root / avatar.avatar_id
        footage.save(folder / "footage")
        if preview is not None:
            cv2.imwrite(str(folder / "image.png"), preview)
        avatar.status = "completed"
        self._write(avatar)
        return avatar

    def fail(self, avatar: StoredAvatar, message: str) -> None:
        avatar.status, avatar.message = "failed", message
        self._write(avatar)

    def delete(self, avatar_id: str) -> None:
        if avatar_id in STOCK:
            raise InvalidInput(f"{avatar_id} is a bundled portrait and cannot be deleted.", field="avatar_id")
        avatar = self.get(avatar_id)
        shutil.rmtree(self.root / avatar.avatar_id, ignore_errors=True)

    # ------------------------------------------------------------------------------------------ load
    def preview_path(self, avatar: StoredAvatar) -> Path | None:
        if avatar.kind == "stock":
            return ASSETS / STOCK[avatar.avatar_id][1]
        path = self.root / avatar.avatar_id / "image.png"
        return path if path.is_file() else None

    def load(self, avatar_id: str) -> Portrait | Footage:
        """What the renderer animates: a portrait with landmarks, or a twin's footage."""
        from avatar_mcp.providers.local.studio import Footage, Portrait

        avatar = self.get(avatar_id)
        if avatar.status != "completed":
            raise InvalidInput(f"Avatar {avatar_id} is {avatar.status}"
                               + (f" ({avatar.message})" if avatar.message else "")
                               + ": wait for its job to finish (check_job), or use another avatar.", field="avatar_id")
        folder = self.root / avatar.avatar_id
        if avatar.footage:
            return Footage.load(folder / "footage")
        if avatar.kind == "stock":
            self._prepare_stock(avatar.avatar_id)
        import cv2
        import numpy as np

        image = cv2.imread(str(folder / "image.png"))
        if image is None:
            raise InvalidInput(f"Avatar {avatar_id} is damaged on disk; delete it and create it again.",
                               field="avatar_id")
        return Portrait(image=image, points=np.load(folder / "points.npy"))

    def _prepare_stock(self, avatar_id: str) -> None:
        """Detect a bundled portrait's landmarks once and keep them with the others."""
        folder = self.root / avatar_id
        with self._lock:
            if (folder / "points.npy").is_file() and (folder / "image.png").is_file():
                return
            from avatar_mcp.providers.local.face import detect_faces, load_image

            image = load_image(ASSETS / STOCK[avatar_id][1])
            faces = detect_faces(image)
            if len(faces) != 1:
                raise MediaRejected(f"The bundled portrait for {avatar_id} did not give exactly one face.")
            name, file_name, gender = STOCK[avatar_id]
            self.save_portrait(avatar_id, name, "stock", image, faces[0].points, gender=gender, default_voice_id=None,
                               source=f"bundled:{file_name}")


def _now() -> str:
    return datetime.now(UTC).isoformat()
