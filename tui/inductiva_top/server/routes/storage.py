"""Storage routes: signed URLs, zip listings and ranges, folder listings, signed transfers.

Two routers:

* :func:`storage_router` — the real API's ``/storage/...`` routes; the app
  protects them with the API key. ``DELETE /storage/?path=<task_id>/`` removes
  a task's files, as the official client's ``Task.remove_remote_files`` asks
  (404: nothing there, which that client reads as "no remote files"; it can
  read no other error, so a running task's files are removed too, see
  :mod:`inductiva_top.server.files.removal`).
* :func:`signed_router` — ``/local/storage/signed/<path>``, the target of the
  signed URLs: GET/HEAD downloads (with ``Range``) and PUT uploads of
  ``<task_id>/input.zip``. No API key: the URL's signature is the authorization.

Storage paths are relative to ``<data dir>/storage``; see
:mod:`inductiva_top.server.files.paths` for what is refused, and
:mod:`inductiva_top.server.files.zipinfo` and :mod:`inductiva_top.server.files.listing` for
the conventions of the listings.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel
from starlette.responses import Response

from inductiva_top.server.errors import unprocessable
from inductiva_top.server.files.archive import PARTIAL_SUFFIX
from inductiva_top.server.files.listing import list_folder, single_file, sort_and_filter
from inductiva_top.server.files.paths import UnsafePath, check_task_id, safe_storage_path
from inductiva_top.server.files.removal import remove_stored
from inductiva_top.server.files.serving import file_response
from inductiva_top.server.files.signing import SIGNED_ROUTE_PREFIX, SignatureError, UrlSigner
from inductiva_top.server.files.uploads import DEFAULT_MAX_UPLOAD_BYTES, receive_upload
from inductiva_top.server.files.zipinfo import (
    MemberNotFound,
    ZipReadError,
    list_members,
    member_range,
)
from inductiva_top.server.layout import DataDir

LOCAL_REGION = "local"
LOCAL_PROVIDER = "LOCAL"
_UPLOAD_PATH = re.compile(r"([^/]+)/input\.zip")


class FileInfo(BaseModel):
    """One zip member (or folder, ``name`` ending with ``/``), as the official client reads it."""

    name: str
    size: int | None = None
    compressed_size: int | None = None
    range_start: int | None = None
    creation_time: datetime | None = None
    compress_type: int | None = None


class ZipArchiveInfo(BaseModel):
    size: int
    contents: list[FileInfo]


class ZipFileRange(BaseModel):
    range_start: int
    range_end: int
    compress_type: int


class StorageFile(BaseModel):
    name: str
    size_bytes: int | None = None
    creation_time: datetime | None = None
    is_directory: bool
    provider_id: str
    region: str


class StorageContents(BaseModel):
    total_files: int
    available_regions: list[str]
    contents: list[StorageFile]


class RemovedFiles(BaseModel):
    """The answer to ``DELETE /storage/`` (the official client reads any object)."""

    path: str
    removed_files: int


def _storage_path(data: DataDir, raw: str) -> tuple[str, Path]:
    try:
        return safe_storage_path(data.storage, raw, what="storage path")
    except UnsafePath as exc:
        raise HTTPException(status_code=exc.status_code, detail=exc.detail) from None


def _servable(relative: str, target: Path) -> bool:
    """A regular file that is not half-written (an upload or output in progress)."""
    return target.is_file() and not relative.endswith(PARTIAL_SUFFIX)


def _existing_file(data: DataDir, raw: str) -> Path:
    relative, target = _storage_path(data, raw)
    if not _servable(relative, target):
        raise HTTPException(status_code=404, detail=f"no file at storage path {relative!r}")
    return target


def _media_type(relative: str) -> str:
    return "application/zip" if relative.endswith(".zip") else "application/octet-stream"


def upload_task_id(relative: str) -> str | None:
    """The task id if ``relative`` is an accepted upload target (``<task_id>/input.zip``)."""
    match = _UPLOAD_PATH.fullmatch(relative)
    if match is None:
        return None
    try:
        return check_task_id(match.group(1))
    except UnsafePath:
        return None


def storage_router(data: DataDir, signer: UrlSigner) -> APIRouter:
    """The API-key-protected ``/storage/...`` routes of the real API."""
    router = APIRouter(tags=["storage"])

    @router.get("/storage/signed-urls", response_model=list[str | None])
    def get_signed_urls(
        request: Request,
        operation: Literal["download", "upload"],
        paths: Annotated[list[str], Query()],
        region: str | None = None,
    ) -> list[str | None]:
        """One signed URL per path (null for a download of a missing file)."""
        base_url = str(request.base_url)
        urls: list[str | None] = []
        for raw in paths:
            relative, target = _storage_path(data, raw)
            if operation == "upload":
                if upload_task_id(relative) is None:
                    raise HTTPException(
                        status_code=400,
                        detail=f"uploads go to '<task_id>/input.zip', not {relative!r}",
                    )
                urls.append(signer.sign(relative, "upload", base_url))
            elif _servable(relative, target):
                urls.append(signer.sign(relative, "download", base_url))
            else:
                urls.append(None)
        return urls

    @router.get("/storage/zip-contents", response_model=ZipArchiveInfo)
    def get_zip_contents(
        path: str,
        zip_relative_path: str = "",
        recursive: bool = False,
        region: str | None = None,
    ) -> ZipArchiveInfo:
        """The members of a stored zip below ``zip_relative_path``, names relative to it."""
        target = _existing_file(data, path)
        try:
            listing = list_members(target, zip_relative_path, recursive)
        except ZipReadError as exc:
            raise unprocessable(["query", "path"], f"{path!r}: {exc}") from None
        return ZipArchiveInfo(
            size=listing.size,
            contents=[FileInfo(**vars(entry)) for entry in listing.contents],
        )

    @router.get("/storage/zip-file-range", response_model=ZipFileRange)
    def get_zip_file_range(
        path: str,
        filename: str,
        zip_relative_path: str = "",
        region: str | None = None,
    ) -> ZipFileRange:
        """The inclusive byte range of one member's stored data inside the zip."""
        target = _existing_file(data, path)
        try:
            found = member_range(target, zip_relative_path, filename)
        except ZipReadError as exc:
            raise unprocessable(["query", "path"], f"{path!r}: {exc}") from None
        except MemberNotFound as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from None
        return ZipFileRange(**vars(found))

    @router.get("/storage/contents", response_model=StorageContents)
    def list_storage_contents(
        path: str = "/",
        recursive: bool = False,
        page: Annotated[int, Query(ge=1)] = 1,
        per_page: Annotated[int, Query(ge=1, le=100)] = 100,
        path_filter: str | None = None,
        sort_by: Literal["creation_time", "size", "name"] = "creation_time",
        order: Literal["asc", "desc"] = "desc",
        region: str | None = None,
        provider_id: str | None = None,
    ) -> StorageContents:
        """A page of the entries of one storage folder (see :mod:`listing`)."""
        data.storage.mkdir(parents=True, exist_ok=True, mode=0o700)
        relative, target = _storage_path(data, path)
        if target.is_dir():
            entries = list_folder(target, relative, recursive)
        elif target.is_file():
            entries = [single_file(target, relative)]
        else:
            raise HTTPException(status_code=404, detail=f"no storage path {relative!r}")
        kept = sort_and_filter(entries, path_filter, sort_by, order)
        start = (page - 1) * per_page
        return StorageContents(
            total_files=len(kept),
            available_regions=[LOCAL_REGION],
            contents=[
                StorageFile(**vars(e), provider_id=LOCAL_PROVIDER, region=LOCAL_REGION)
                for e in kept[start : start + per_page]
            ],
        )

    @router.delete("/storage/", response_model=RemovedFiles)
    def delete_file(
        path: str = "",
        provider_id: str | None = None,
        region: str | None = None,
    ) -> RemovedFiles:
        """Remove a stored file, or a folder with everything below it (``<task_id>/``)."""
        relative, target = _storage_path(data, path)
        if not relative:
            raise HTTPException(
                status_code=400, detail="name a file or folder: the whole storage is never removed"
            )
        try:
            removed = remove_stored(target)
        except FileNotFoundError:
            raise HTTPException(status_code=404, detail=f"no storage path {relative!r}") from None
        return RemovedFiles(path=relative, removed_files=removed)

    return router


def signed_router(
    data: DataDir,
    signer: UrlSigner,
    on_upload: Callable[[str], None] | None = None,
    *,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
) -> APIRouter:
    """The targets of signed URLs (no API key): GET/HEAD downloads, PUT input uploads.

    ``on_upload(task_id)`` runs after an input zip is safely in place.
    """
    router = APIRouter(tags=["signed storage"])
    route = SIGNED_ROUTE_PREFIX + "/{path:path}"

    def authorize(path: str, operation: str, expires: str, signature: str) -> tuple[str, Path]:
        relative, target = _storage_path(data, path)
        try:
            signer.verify(relative, operation, expires, signature)
        except SignatureError as exc:
            raise HTTPException(status_code=403, detail=str(exc)) from None
        return relative, target

    @router.api_route(route, methods=["GET", "HEAD"], response_class=Response)
    def download(request: Request, path: str, expires: str = "", signature: str = "") -> Response:
        """The stored file, honouring ``Range``, ``If-Range`` and ``HEAD``."""
        relative, target = authorize(path, "download", expires, signature)
        if relative.endswith(PARTIAL_SUFFIX):
            raise HTTPException(status_code=404, detail=f"{relative!r} is still being written")
        try:
            return file_response(
                target,
                method=request.method,
                range_header=request.headers.get("range"),
                if_range=request.headers.get("if-range"),
                media_type=_media_type(relative),
            )
        except FileNotFoundError:
            raise HTTPException(status_code=404, detail=f"no file at {relative!r}") from None

    @router.put(route)
    async def upload(
        request: Request, path: str, expires: str = "", signature: str = ""
    ) -> dict[str, str]:
        """Store the request body as ``<task_id>/input.zip``, replacing it atomically."""
        relative, target = authorize(path, "upload", expires, signature)
        task_id = upload_task_id(relative)
        if task_id is None:
            raise HTTPException(status_code=403, detail=f"uploads to {relative!r} are not allowed")
        await receive_upload(request, target, max_upload_bytes)
        if on_upload is not None:
            on_upload(task_id)
        return {}

    return router
