"""The local file policy and content sniffing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from avatar_mcp.errors import MediaRejected
from avatar_mcp.media import MediaPolicy, classify, require_https, sniff_mime

DATA = Path(__file__).resolve().parent / "data"


@pytest.mark.parametrize(("head", "mime"), [
    (b"\xff\xd8\xff\xe0", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"RIFF\0\0\0\0WEBP", "image/webp"),
    (b"RIFF\0\0\0\0WAVE", "audio/wav"), (b"\x1a\x45\xdf\xa3", "video/webm"), (b"\0\0\0\x18ftypisom", "video/mp4"),
    (b"\0\0\0\x14ftypqt  ", "video/quicktime"), (b"ID3\x04", "audio/mpeg"), (b"%PDF-1.7", None), (b"", None)])
def test_media_types_come_from_the_bytes(head: bytes, mime: str | None) -> None:
    assert sniff_mime(head) == mime


def test_sources_are_classified() -> None:
    assert classify("https://x.example/a.jpg") == "url"
    assert classify("asset:abc") == "asset"
    assert classify("photos/a.jpg") == "path"


def test_only_https_urls_with_a_host_are_handed_to_vendors() -> None:
    assert require_https(" https://x.example/a.jpg ") == "https://x.example/a.jpg"
    for bad in ("http://x.example/a.jpg", "ftp://x/a", "https:///nohost", "file:///etc/passwd"):
        with pytest.raises(MediaRejected, match="https"):
            require_https(bad)


def test_files_inside_the_roots_are_read_by_absolute_or_relative_path(tmp_path: Path) -> None:
    (tmp_path / "clips").mkdir()
    target = tmp_path / "clips" / "a.mp4"
    target.write_bytes((DATA / "tiny.mp4").read_bytes())
    policy = MediaPolicy([tmp_path], max_bytes=10**6)
    assert policy.open_local(str(target), kinds=["video"]).mime == "video/mp4"
    assert policy.open_local("clips/a.mp4", kinds=["video"]).path == target.resolve()


def test_symlinks_and_dotdot_cannot_escape_the_roots(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    secret = outside / "s.jpg"
    secret.write_bytes((DATA / "tiny.jpg").read_bytes())
    os.symlink(secret, root / "link.jpg")
    os.symlink(outside, root / "dir")
    policy = MediaPolicy([root], max_bytes=10**6)
    for source in (str(secret), str(root / "link.jpg"), "link.jpg", "../outside/s.jpg", "dir/s.jpg"):
        with pytest.raises(MediaRejected, match="outside the media roots"):
            policy.open_local(source, kinds=["image"])


def test_a_symlink_out_of_one_root_is_outside_even_beside_a_second_root(tmp_path: Path) -> None:
    """The server always has two roots (the configured ones and the data dir's media): a relative path that leaves
    the first through a symlink is 'outside', not 'No file' because the same name is absent from the second."""
    root, second, outside = tmp_path / "root", tmp_path / "second", tmp_path / "outside"
    for folder in (root, second, outside):
        folder.mkdir()
    (outside / "s.jpg").write_bytes((DATA / "tiny.jpg").read_bytes())
    os.symlink(outside / "s.jpg", root / "link.jpg")
    os.symlink(outside, root / "dir")
    policy = MediaPolicy([root, second], max_bytes=10**6)

    def answer(source: str) -> str:
        with pytest.raises(MediaRejected) as caught:
            policy.open_local(source, kinds=["image"])
        return str(caught.value).replace(source, "<source>")

    for source in ("link.jpg", "dir/s.jpg", "dir/missing.jpg"):
        assert "outside the media roots" in answer(source), source
    assert answer("dir/s.jpg") == answer("dir/missing.jpg")
    assert "No file" in answer("missing.jpg")


def test_wrong_kind_empty_and_oversized_files_are_refused(tmp_path: Path) -> None:
    policy = MediaPolicy([tmp_path], max_bytes=5000)
    (tmp_path / "fake.jpg").write_text("not a picture")
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "big.mp4").write_bytes((DATA / "tiny.mp4").read_bytes())
    with pytest.raises(MediaRejected, match=r"but an image is needed here .*from the file's content"):
        policy.open_local("fake.jpg", kinds=["image"])
    with pytest.raises(MediaRejected, match="but an audio or video file is needed"):
        policy.open_local("fake.jpg", kinds=["audio", "video"])
    with pytest.raises(MediaRejected, match="empty"):
        policy.open_local("empty.png", kinds=["image"])
    with pytest.raises(MediaRejected, match="MB"):
        policy.open_local("big.mp4", kinds=["video"])
    with pytest.raises(MediaRejected, match="No file"):
        policy.open_local("missing.jpg", kinds=["image"])


def test_a_path_outside_the_roots_gets_the_same_answer_whether_or_not_it_exists(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "sub").mkdir(parents=True)
    outside.mkdir()
    (outside / "real.jpg").write_bytes((DATA / "tiny.jpg").read_bytes())
    os.symlink(outside, root / "dir")
    policy = MediaPolicy([root], max_bytes=10**6)

    def answer(source: str) -> str:
        with pytest.raises(MediaRejected) as caught:
            policy.open_local(source, kinds=["image"])
        return str(caught.value).replace(source, "<source>")

    for existing, missing in [("../outside/real.jpg", "../outside/missing.jpg"),
                              ("sub/../../outside/real.jpg", "sub/../../outside/missing.jpg"),
                              ("dir/real.jpg", "dir/missing.jpg"),
                              (str(outside / "real.jpg"), str(outside / "missing.jpg")),
                              ("../outside", "../nowhere"),
                              # a home folder of a user that exists, and of one that does not
                              ("~root/real.jpg", "~no-such-user-7f3a/real.jpg")]:
        assert answer(existing) == answer(missing), existing
        assert "outside the media roots" in answer(existing)


@pytest.mark.parametrize("source", ["me\x00.jpg", "/etc/passwd\x00.jpg", "a\nb.jpg", "\x1b[31mred.jpg", "x\x7f.jpg"])
def test_a_path_with_a_control_character_is_refused_as_such(tmp_path: Path, source: str) -> None:
    policy = MediaPolicy([tmp_path], max_bytes=10**6)
    with pytest.raises(MediaRejected, match="control character"):
        policy.open_local(source, kinds=["image"])


# ---------------------------------------------------------------------------------------------- image limits

def png_bomb(path: Path, side: int = 7600) -> Path:
    """A valid PNG of side x side black pixels: ~170 KB on disk, ~58 megapixels (~170 MB) once decoded."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\0" * (side * 3 + 1)
    packer = zlib.compressobj(9)
    pixels = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))
    return path


def test_image_sizes_are_read_from_headers_without_decoding(tmp_path: Path) -> None:
    import io

    from PIL import Image

    from avatar_mcp.media import image_size

    def made(fmt: str, size: tuple[int, int], mode: str = "RGB", **options: object) -> bytes:
        buf = io.BytesIO()
        Image.new(mode, size).save(buf, format=fmt, **options)
        return buf.getvalue()

    jpeg = made("JPEG", (640, 480))
    # Large APP segments (EXIF/ICC-like) before the frame header are skipped by their lengths.
    padded = jpeg[:2] + b"".join(b"\xff\xef" + (65533).to_bytes(2, "big") + b"\0" * 65531 for _ in range(5)) + jpeg[2:]
    cases = {"jpeg": (jpeg, (640, 480)), "padded jpeg": (padded, (640, 480)),
             "progressive": (made("JPEG", (321, 123), progressive=True), (321, 123)),
             "png": (made("PNG", (1000, 30)), (1000, 30)),
             "webp lossy": (made("WEBP", (300, 200), quality=50), (300, 200)),
             "webp lossless": (made("WEBP", (301, 201), lossless=True), (301, 201)),
             "webp alpha": (made("WEBP", (302, 202), "RGBA", quality=50), (302, 202)),
             "tiny.jpg": ((DATA / "tiny.jpg").read_bytes(), Image.open(DATA / "tiny.jpg").size)}
    for name, (data, size) in cases.items():
        assert image_size(io.BytesIO(data)) == size, name
    assert image_size(io.BytesIO(b"%PDF-1.7")) is None
    assert image_size(io.BytesIO(b"\xff\xd8\xff\xe0\x00")) is None


def test_an_image_declaring_too_many_pixels_is_refused_before_decoding_naming_the_limit(tmp_path: Path) -> None:
    from avatar_mcp.providers.local.face import load_image

    bomb = png_bomb(tmp_path / "bomb.png")
    assert bomb.stat().st_size < 200_000
    policy = MediaPolicy([tmp_path], max_bytes=10**7)
    limit = r"7600x7600 pixels \(58 megapixels\); images may have at most 40 megapixels"
    with pytest.raises(MediaRejected, match=limit):
        policy.open_local("bomb.png", kinds=["image"])
    with pytest.raises(MediaRejected, match="at most 40 megapixels"):
        load_image(bomb)


def test_image_decodes_wait_for_a_free_slot(tmp_path: Path) -> None:
    import threading

    from avatar_mcp.media import MAX_CONCURRENT_DECODES, decode_slot
    from avatar_mcp.providers.local.face import load_image

    done = threading.Event()
    worker = threading.Thread(target=lambda: (load_image(DATA / "tiny.jpg"), done.set()), daemon=True)
    holders = [decode_slot() for _ in range(MAX_CONCURRENT_DECODES)]
    for slot in holders:
        slot.__enter__()
    try:
        worker.start()
        assert not done.wait(0.5)  # every slot is taken: the decode waits
    finally:
        holders[0].__exit__(None, None, None)
    assert done.wait(30)
    for slot in holders[1:]:
        slot.__exit__(None, None, None)


@pytest.mark.parametrize("url", ["https://127.0.0.1/a.jpg", "https://169.254.169.254/latest", "https://[::1]/a",
                                 "https://[::ffff:192.168.1.2]/a", "https://10.0.0.1:8443/a", "https://localhost/a",
                                 "https://cdn.localhost/a", "https://nas.local/a", "https://db.internal/a",
                                 "https://intranet/a"])
def test_a_url_handed_to_a_vendor_must_name_a_public_host(url: str) -> None:
    """A vendor fetches it from its own network: loopback, private and link-local literals and local-only names
    are refused before anything is sent (the server's own downloads apply outbound.py's full policy instead)."""
    with pytest.raises(MediaRejected, match="public internet"):
        require_https(url, what="photo URL", vendor="Runware")
    assert require_https(url, what="photo URL") == url  # the server's own downloads check addresses later


def test_a_public_url_handed_to_a_vendor_passes() -> None:
    for url in ("https://cdn.example.com/a.jpg", "https://93.184.216.34/a.jpg", "https://[2606:4700::1]/a"):
        assert require_https(url, vendor="HeyGen") == url
