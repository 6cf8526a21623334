from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from avatar_mcp.providers.local.captions import captions_for, chunk_words
from avatar_mcp.providers.local.footage import pingpong
from avatar_mcp.providers.local.tracks import viseme

_WORD = st.text(alphabet="abcdefghij,.!?'", min_size=1, max_size=14).filter(lambda w: w.strip(",.!?'"))


@st.composite
def timed_words(draw: st.DrawFn) -> list[tuple[str, float, float]]:
    words = draw(st.lists(_WORD, min_size=1, max_size=60))
    out, t = [], 0.0
    for word in words:
        length = draw(st.floats(0.05, 0.8))
        out.append((word, round(t, 3), round(t + length, 3)))
        t += length + draw(st.floats(0.0, 0.4))
    return out


@given(timed_words())
def test_caption_chunks_keep_every_word_in_order(words):
    groups = chunk_words(words)
    assert [w for group in groups for w in group] == words
    for group in groups:
        if len(group) > 1:
            assert len(" ".join(w for w, _, _ in group)) <= 42 * 2


@given(timed_words(), st.floats(0.0, 100.0))
def test_captions_are_ordered_offset_and_never_overlap(words, offset):
    end = offset + words[-1][2] + 1.0
    captions = captions_for(words, offset=offset, until=end)
    assert " ".join(c.text for c in captions).split() == [w for w, _, _ in words]
    for c in captions:
        assert offset <= c.start < c.end <= end + 0.05
    for a, b in itertools.pairwise(captions):
        assert a.end <= b.start + 1e-6 or a.end - a.start <= 0.05


def test_sentence_ends_start_a_new_caption():
    words = [("Hi.", 0.0, 0.3), ("How", 0.4, 0.6), ("are", 0.6, 0.8), ("you?", 0.8, 1.1)]
    assert [c.text for c in captions_for(words)] == ["Hi.", "How are you?"]


@given(st.integers(0, 10_000), st.integers(1, 500))
def test_pingpong_plays_back_and_forth_without_jumps(index, count):
    here, following = pingpong(index, count), pingpong(index + 1, count)
    assert 0 <= here < count
    assert abs(following - here) <= 1


def test_visemes_close_the_lips_for_bilabials_and_open_for_open_vowels():
    assert viseme("m") == (0.0, 0.0)
    assert viseme("ˈa")[0] > 0.8
    assert viseme("oʊ")[1] > 0.5
    assert viseme("_") == (0.0, 0.0)


def test_srt_and_caption_text_lose_control_ansi_and_bidi_characters(tmp_path):
    from avatar_mcp.providers.local.captions import write_srt

    words = [("Pay\x00", 0.0, 0.3), ("\x1b[31mnow\x1b[0m", 0.3, 0.6), ("\u202eexe.pdf", 0.6, 0.9),
             ("\x1b]8;;https://evil.example\x07link\x1b]8;;\x07", 0.9, 1.2), ("\u2066ok\u2069.", 1.2, 1.5),
             ("\x07\x1b", 1.5, 1.6)]
    captions = captions_for(words)
    path = tmp_path / "captions.srt"
    write_srt(captions, path)
    text = path.read_text(encoding="utf-8")
    assert [c.text for c in captions] == ["Pay now exe.pdf link ok."]
    for bad in ("\x00", "\x1b", "\x07", "\u202e", "\u2066", "\u2069", "[31m", "evil.example"):
        assert bad not in text, repr(bad)
    assert "Pay now exe.pdf link ok." in text
