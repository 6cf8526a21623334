"""The checklist table, pure: what is missing, which defaults apply, how answers merge back."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from avatar_mcp.checklist import (
    AGES,
    NO_DEFAULT,
    PHOTO_GENERATION,
    Catalogue,
    Needs,
    apply_answers,
    defaults_for,
    estimate_speech_seconds,
    missing_fields,
)
from avatar_mcp.operations import get

PHOTO = {q.path: q.default for q in PHOTO_GENERATION}
VOICES = Catalogue(voices=[("v1", "Ann"), ("v2", "Bob")], avatars=[("a1", "Alex")], avatar_voices={"a1": "v2"})


def paths(questions: list[Any]) -> list[str]:
    return [q.path for q in questions]


@settings(max_examples=100, deadline=None)
@given(st.sets(st.sampled_from(sorted(PHOTO))))
def test_exactly_the_blank_photo_fields_are_asked(blank: set[str]) -> None:
    request = {k: (None if k in blank else v) for k, v in PHOTO.items()}
    assert set(paths(missing_fields(get("generate_photo_avatar"), request))) == blank


def test_every_photo_field_has_a_default_in_its_allowed_values() -> None:
    for q in PHOTO_GENERATION:
        assert q.default is not NO_DEFAULT
        if q.allowed:
            assert q.default in q.allowed
    assert next(q for q in PHOTO_GENERATION if q.path == "age").allowed == AGES


def test_a_scene_without_anything_to_say_asks_for_a_script_and_a_voice() -> None:
    questions = missing_fields(get("create_video"), {"scenes": [{"avatar_id": "a1"}], "orientation": "square"}, VOICES)
    assert paths(questions) == ["scenes.0.script", "scenes.0.voice_id"]
    voice = questions[1]
    assert voice.allowed == ("v1", "v2") and voice.default == "v2"  # the avatar's own voice


def test_the_questions_of_a_one_scene_video_read_as_sentences_about_the_video() -> None:
    questions = missing_fields(get("create_video"), {"scenes": [{}], "orientation": "square"}, VOICES)
    asked = {q.path: q.question for q in questions}
    assert asked["scenes.0.avatar_id"] == "Which avatar should appear in the video?"
    assert asked["scenes.0.script"].startswith("What should the avatar say?")
    assert asked["scenes.0.voice_id"] == "Which voice should the avatar use?"


def test_silence_and_audio_scenes_need_no_voice() -> None:
    request = {"orientation": "square", "scenes": [{"avatar_id": "a1", "silence_seconds": 2},
                                                   {"avatar_id": "a1", "audio": "/x.mp3"}]}
    assert missing_fields(get("create_video"), request, VOICES) == []


def test_several_scenes_without_a_voice_are_asked_once() -> None:
    request = {"scenes": [{"avatar_id": "a1", "script": "One."}, {"avatar_id": "a1", "script": "Two."}]}
    questions = missing_fields(get("create_video"), request, VOICES)
    assert [q.form_name for q in questions] == ["voice_id", "orientation"]
    merged, applied = apply_answers(request, questions, {"voice_id": "v1", "orientation": "portrait"})
    assert [s["voice_id"] for s in merged["scenes"]] == ["v1", "v1"]
    assert applied == {"scenes.0.voice_id": "v1", "scenes.1.voice_id": "v1", "orientation": "portrait"}
    assert "voice_id" not in request["scenes"][0]  # the caller's request is not modified


def test_a_dimension_replaces_the_orientation_question() -> None:
    request = {"dimension": {"width": 640, "height": 480}, "scenes": [{"avatar_id": "a1", "script": "Hi",
                                                                       "voice_id": "v1"}]}
    assert missing_fields(get("create_video"), request, VOICES) == []


def test_defaults_leave_the_questions_without_one() -> None:
    questions = missing_fields(get("create_video"), {"scenes": [{"avatar_id": "a1"}]}, VOICES)
    answers, still = defaults_for(questions)
    assert paths(still) == ["scenes.0.script"]
    assert answers == {"voice_id": "v2", "orientation": "landscape"}


def test_companions_ask_for_a_picture_for_v1_and_a_video_for_v2() -> None:
    v1 = missing_fields(get("create_companion"), {"description": "d", "version": "v1"})
    v2 = missing_fields(get("create_companion"), {"description": "d", "version": "v2"})
    assert paths(v1) == ["picture"] and paths(v2) == ["video"]


def test_vendor_required_fields_and_consent_are_asked_too() -> None:
    questions = missing_fields(get("create_digital_twin"), {"name": "n", "video": "/v.mp4"}, Catalogue(),
                               Needs(consent_video=True, required=("gender", "description")))
    assert paths(questions) == ["consent_video", "gender", "description"]
    assert questions[1].allowed == ("female", "male", "nonBinary")


def test_a_scene_with_an_image_background_needs_no_avatar_where_the_vendor_shows_the_image() -> None:
    scene = {"script": "Hello.", "voice_id": "v1", "background": {"type": "image", "url": "https://x.example/a.jpg"}}
    request = {"orientation": "square", "scenes": [scene, {"script": "Bye.", "voice_id": "v1"}]}
    video = get("create_video")
    assert paths(missing_fields(video, request, VOICES, Needs(image_scenes=True))) == ["scenes.1.avatar_id"]
    assert paths(missing_fields(video, request, VOICES)) == ["scenes.0.avatar_id", "scenes.1.avatar_id"]


def test_a_photo_avatar_needs_an_image_unless_a_candidate_is_picked() -> None:
    assert paths(missing_fields(get("create_photo_avatar"), {"name": "x"})) == ["image"]
    picked = {"name": "x", "from_generation": {"job_id": "j", "index": 0}}
    assert missing_fields(get("create_photo_avatar"), picked) == []


def test_speech_length_estimates_follow_words_and_speed() -> None:
    text = "word " * 150
    assert 55 <= estimate_speech_seconds(text) <= 65
    assert estimate_speech_seconds(text, speed=1.5) < estimate_speech_seconds(text)
