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


def test_wrong_kind_empty_and_oversized_files_are_refused(tmp_path: Path) -> None:
    policy = MediaPolicy([tmp_path], max_bytes=5000)
    (tmp_path / "fake.jpg").write_text("not a picture")
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "big.mp4").write_bytes((DATA / "tiny.mp4").read_bytes())
    with pytest.raises(MediaRejected, match="from the file's content"):
        policy.open_local("fake.jpg", kinds=["image"])
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
                              ("../outside", "../nowhere")]:
        assert answer(existing) == answer(missing), existing
        assert "outside the media roots" in answer(existing)


@pytest.mark.parametrize("source", ["me\x00.jpg", "/etc/passwd\x00.jpg", "a\nb.jpg", "\x1b[31mred.jpg", "x\x7f.jpg"])
def test_a_path_with_a_control_character_is_refused_as_such(tmp_path: Path, source: str) -> None:
    policy = MediaPolicy([tmp_path], max_bytes=10**6)
    with pytest.raises(MediaRejected, match="control character"):
        policy.open_local(source, kinds=["image"])
