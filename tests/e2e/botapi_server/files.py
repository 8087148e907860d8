"""Files: uploads kept with Telegram-shaped file ids, getFile, and downloads by file path."""

from __future__ import annotations

from typing import Final

from tests.e2e.botapi_server.records import (
    JSON,
    MAX_DOWNLOAD,
    TOKEN_SHAPE,
    ApiError,
    StoredFile,
    UploadedFile,
)
from tests.e2e.botapi_server.state import ServerState

#: Folders and file_id prefixes by kind, after Telegram's.
_FILE_KINDS: Final = {
    "photo": ("photos", "AgAC", ".jpg"),
    "document": ("documents", "BQAC", ""),
    "voice": ("voice", "AwAC", ".oga"),
    "audio": ("music", "CQAC", ".mp3"),
    "video": ("videos", "BAAC", ".mp4"),
    "animation": ("animations", "CgAC", ".mp4"),
    "video_note": ("video_notes", "DQAC", ".mp4"),
    "sticker": ("stickers", "CAAC", ".webp"),
    "thumbnail": ("thumbnails", "AAMC", ".jpg"),
}


class FilesMixin(ServerState):
    """Keeps the files people and the bot send, and serves them back."""

    # -- keeping files -----------------------------------------------------------------------

    def store_file(
        self,
        kind: str,
        content: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        duration: int | None = None,
        width: int | None = None,
        height: int | None = None,
    ) -> JSON:
        """Keep a file; returns its media object (Document, Voice, PhotoSize, ...)."""
        number = next(self._ids)
        folder, prefix, extension = _FILE_KINDS.get(kind, ("documents", "BQAC", ""))
        if file_name and "." in file_name:
            extension = "." + file_name.rsplit(".", 1)[1]
        file_id = f"{prefix}{self.bot_id}-{number:06d}"
        unique_id = f"AQAD{number:06d}"
        media: JSON = {"file_id": file_id, "file_unique_id": unique_id, "file_size": len(content)}
        if kind in ("photo", "thumbnail", "video", "animation", "sticker"):
            media.update(width=width or 1280, height=height or 960)
        if kind in ("voice", "audio", "video", "animation", "video_note"):
            media["duration"] = duration or 1
        if kind == "video_note":
            media["length"] = width or 240
        if kind == "sticker":
            media.update(type="regular", is_animated=False, is_video=False)
        if file_name is not None and kind not in ("photo", "voice", "sticker", "video_note"):
            media["file_name"] = file_name
        if mime_type is not None and kind not in ("photo", "sticker", "video_note"):
            media["mime_type"] = mime_type
        stored = StoredFile(
            file_id, unique_id, content, f"{folder}/file_{number}{extension}", kind, media
        )
        self.files[file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return media

    def store_photo(self, content: bytes, width: int = 1280, height: int = 960) -> list[JSON]:
        """A photo as Telegram delivers it: several sizes, smallest first."""
        sizes = []
        for scale in (0.07, 0.25, 1.0):
            w, h = max(1, round(width * scale)), max(1, round(height * scale))
            sizes.append(self.store_file("photo", content, width=w, height=h))
        return sizes

    def file(self, file_id: str) -> StoredFile:
        return self.files[file_id]

    # -- getFile and downloads ---------------------------------------------------------------

    async def _get_file(self, params: JSON, attachments: dict[str, UploadedFile]) -> JSON:
        stored = self.files.get(params["file_id"])
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if len(stored.content) > MAX_DOWNLOAD:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }

    async def _get_user_profile_photos(
        self, params: JSON, attachments: dict[str, UploadedFile]
    ) -> JSON:
        if params["user_id"] not in self.users:
            raise ApiError(400, "Bad Request: user not found")
        return {"total_count": 0, "photos": []}

    def download(self, token: str, path: str) -> tuple[int, bytes | JSON]:
        """Answer GET /file/bot<token>/<path>."""
        if not TOKEN_SHAPE.fullmatch(token):
            return 404, ApiError(404, "Not Found").body()
        if token != self.token:
            return 401, ApiError(401, "Unauthorized").body()
        stored = self._files_by_path.get(path)
        if stored is None:
            return 404, ApiError(404, "Not Found").body()
        return 200, stored.content
