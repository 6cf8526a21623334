"""The pre-generation checklist: what each operation needs before anything is spent (pure, table-driven).

For every operation the table lists the fields a request must have, their allowed values, the default we
would pick and the question to ask in plain words. `missing_fields` compares a request with the table;
`apply_answers` merges answers (from an elicitation form, or defaults) back into the request. Choices that
depend on a catalogue (voices, avatars) are passed in as data, so this module never does I/O.

The eight AI-photo fields and their exact spellings come from HeyGen's photo-avatar docs (seed 002).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, get_args

from avatar_mcp.models import MissingField
from avatar_mcp.specs import Age, Ethnicity, Orientation, PhotoGender, PhotoOrientation, PhotoStyle, Pose

if TYPE_CHECKING:
    from avatar_mcp.operations import Operation

NO_DEFAULT: Any = None


@dataclass(frozen=True)
class Question:
    """One checklist entry. `path` addresses the request (`scenes.1.voice_id`); `form_name` is flat."""

    path: str
    form_name: str
    question: str
    allowed: tuple[str, ...] | None = None
    default: Any = NO_DEFAULT
    kind: type = str
    labels: Mapping[str, str] = field(default_factory=dict)
    """Human titles for allowed values (voice names for voice ids)."""

    def as_missing(self) -> MissingField:
        return MissingField(field=self.path, question=self.question,
                            allowed_values=list(self.allowed) if self.allowed else None, default=self.default)


def _values(literal: Any) -> tuple[str, ...]:
    return tuple(get_args(literal))


AGES = _values(Age)
PHOTO_GENDERS = _values(PhotoGender)
ETHNICITIES = _values(Ethnicity)
PHOTO_ORIENTATIONS = _values(PhotoOrientation)
POSES = _values(Pose)
STYLES = _values(PhotoStyle)
ORIENTATIONS = _values(Orientation)

PHOTO_GENERATION: tuple[Question, ...] = (
    Question("name", "name", "What should the avatar be called?", None, "Presenter"),
    Question("age", "age", "How old should the person look?", AGES, "Early Middle Age"),
    Question("gender", "gender", "Which gender should the person have?", PHOTO_GENDERS, "Unspecified"),
    Question("ethnicity", "ethnicity", "Which ethnicity should the person have?", ETHNICITIES, "Unspecified"),
    Question("orientation", "orientation", "Which image orientation?", PHOTO_ORIENTATIONS, "square"),
    Question("pose", "pose", "Which framing: close-up, half body or full body?", POSES, "half_body"),
    Question("style", "style", "Which visual style?", STYLES, "Realistic"),
    Question("appearance", "appearance",
             "Describe the look in a sentence or two (hair, clothing, colours, setting; up to 1000 characters).",
             None, "Friendly expression, neat dark hair, navy blazer over a white shirt, soft studio light."),
)

PHOTO_AVATAR: tuple[Question, ...] = (
    Question("name", "name", "What should the new avatar be called?", None, "My avatar"),
    Question("image", "image",
             "Which photo? A local path inside the media roots or an https URL (JPEG/PNG, at least 512x512, under "
             "10 MB, one clear front-facing face).", None, NO_DEFAULT),
)

DIGITAL_TWIN: tuple[Question, ...] = (
    Question("name", "name", "What should the digital twin be called?", None, "My digital twin"),
    Question("video", "video",
             "Which training video? A local path inside the media roots or an https URL (the person speaking to "
             "camera, 1-5 minutes, head and shoulders, even light).", None, NO_DEFAULT),
)
TWIN_CONSENT = Question(
    "consent_video", "consent_video",
    "Which consent video? The person filmed must read the vendor's consent statement on camera (local path or "
    "https URL).", None, NO_DEFAULT)

COMPANION: tuple[Question, ...] = (
    Question("description", "description", "Describe the companion: who they are, their personality and role.",
             None, "A warm, upbeat assistant who explains things simply."),
    Question("version", "version", "Which avatar model? v1 works from a picture (fast, about 15 minutes); v2 from "
             "a video of the person speaking (best quality, can take hours).", ("v1", "v2"), "v1"),
)
COMPANION_PICTURE = Question("picture", "picture", "Which picture? An https URL (or local path) of one person "
                             "looking into the camera, waist up, well lit; 16:9 works best.", None, NO_DEFAULT)
COMPANION_VIDEO = Question("video", "video", "Which reference video? An https URL (or local path) of 1-5 minutes "
                           "of the person speaking naturally, head and shoulders.", None, NO_DEFAULT)

REFERENCE_VIDEO_TIPS = (
    "Tips for the v2 reference video (Napster): 1-5 minutes of continuous natural speech, not read from a script; "
    "head and shoulders, centred, some space above the head; even front light, no harsh shadows or backlight; a "
    "plain or blurred background; camera at eye level and stable; a quiet room. v2 can take several hours: create "
    "the avatar well before you need it."
)

EXTRA_QUESTIONS: Mapping[str, Question] = {
    "gender": Question("gender", "gender", "What is the gender of the person filmed?", ("female", "male", "nonBinary"),
                       NO_DEFAULT),
    "ethnicity": Question("ethnicity", "ethnicity", "What is the person's ethnicity (as the vendor names it)?", None,
                          NO_DEFAULT),
    "description": Question("description", "description", "Describe the person in a sentence: who they are and "
                            "their role.", None, NO_DEFAULT),
}
"""Fields some vendors need on top of the unified ones (Capabilities.required_fields names them)."""

ORIENTATION_QUESTION = Question("orientation", "orientation", "Which video shape: landscape (16:9), portrait (9:16) "
                                "or square?", ORIENTATIONS, "landscape")


def scene_form_name(index: int, name: str, scene_count: int) -> str:
    return name if scene_count == 1 else f"scene_{index + 1}_{name}"


@dataclass(frozen=True)
class Catalogue:
    """Choices from the provider's catalogue, fetched by the caller."""

    voices: Sequence[tuple[str, str]] = ()
    """(voice_id, label) in order of preference."""
    avatars: Sequence[tuple[str, str]] = ()
    """(avatar_id, label)."""
    avatar_voices: Mapping[str, str] = field(default_factory=dict)
    """avatar_id -> its default voice_id, where known."""
    default_voice: str | None = None
    """A voice_id the vendor accepts to choose the voice itself (the question's default when nothing better)."""
    voice_advice: str = "a voice_id from list_voices"
    """What to answer with when there are no voices to choose from (the question says it, with audio)."""


@dataclass(frozen=True)
class Needs:
    """What the provider adds to the questions, besides its catalogue (from its Capabilities)."""

    consent_video: bool = False
    """A digital twin needs a consent video up front."""
    image_scenes: bool = False
    """A video scene with an image background needs no avatar (it shows the image while the speech plays)."""
    required: tuple[str, ...] = ()
    """Fields of EXTRA_QUESTIONS this provider needs for the operation on top of the unified ones."""


QuestionFn = Callable[[Mapping[str, Any], Catalogue, Needs], list[Question]]
"""An operation's questions: what is still open in a request (a dict of tool arguments, None meaning absent)."""


def missing_fields(operation: Operation, request: Mapping[str, Any], catalogue: Catalogue = Catalogue(),
                   needs: Needs = Needs()) -> list[Question]:
    """The questions still open for `request`: the operation's own, then the provider's extra fields."""
    questions = operation.questions(request, catalogue, needs)
    asked = {q.path for q in questions}
    for name in needs.required:
        if name not in asked and _blank(request.get(name)):
            questions.append(EXTRA_QUESTIONS[name])
    return questions


def photo_generation_questions(request: Mapping[str, Any], catalogue: Catalogue, needs: Needs) -> list[Question]:
    return [q for q in PHOTO_GENERATION if _blank(request.get(q.path))]


def photo_avatar_questions(request: Mapping[str, Any], catalogue: Catalogue, needs: Needs) -> list[Question]:
    questions = [q for q in PHOTO_AVATAR[:1] if _blank(request.get(q.path))]
    if _blank(request.get("image")) and _blank(request.get("from_generation")):
        questions.append(PHOTO_AVATAR[1])
    return questions


def no_questions(request: Mapping[str, Any], catalogue: Catalogue, needs: Needs) -> list[Question]:
    return []


def digital_twin_questions(request: Mapping[str, Any], catalogue: Catalogue, needs: Needs) -> list[Question]:
    questions = [q for q in DIGITAL_TWIN if _blank(request.get(q.path))]
    if needs.consent_video and _blank(request.get("consent_video")):
        questions.append(TWIN_CONSENT)
    return questions


def companion_questions(request: Mapping[str, Any], catalogue: Catalogue, needs: Needs) -> list[Question]:
    questions = [q for q in COMPANION if _blank(request.get(q.path))]
    version = request.get("version") or "v1"
    if version == "v1" and _blank(request.get("picture")):
        questions.append(COMPANION_PICTURE)
    if version == "v2" and _blank(request.get("video")):
        questions.append(COMPANION_VIDEO)
    return questions


def companion_tips(request: Mapping[str, Any] | None, pending: list[Question]) -> str | None:
    """The reference-video tips: in a form when a v2 companion (made from a video) is asked for or may be chosen;
    always in a needs_input answer (`request` None), where the assistant relays the questions itself."""
    if request is None or request.get("version") == "v2" or any(q.form_name == "version" for q in pending):
        return REFERENCE_VIDEO_TIPS
    return None


def prompt_video_questions(request: Mapping[str, Any], catalogue: Catalogue, needs: Needs) -> list[Question]:
    if _blank(request.get("prompt")):
        return [Question("prompt", "prompt", "Describe the video: topic, audience, tone and length.", None,
                         NO_DEFAULT)]
    return []


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _voice_question(path: str, form_name: str, catalogue: Catalogue, default: str | None, what: str) -> Question:
    """With voices to choose from, a choice; without, a question that says exactly what may be answered."""
    ids = tuple(v for v, _ in catalogue.voices)
    fallback = default if default in ids else (ids[0] if ids else catalogue.default_voice or NO_DEFAULT)
    question = f"Which voice should {what} use?"
    if not ids:
        auto = (f", or '{catalogue.default_voice}' to let the vendor pick a voice for the avatar"
                if catalogue.default_voice else "")
        question += f" Answer with {catalogue.voice_advice}{auto}; or give audio instead of a script."
    return Question(path, form_name, question, ids or None, fallback, labels=dict(catalogue.voices))


def video_questions(request: Mapping[str, Any], catalogue: Catalogue, needs: Needs) -> list[Question]:
    scenes: Sequence[Mapping[str, Any]] = request.get("scenes") or []
    questions: list[Question] = []
    if not scenes:
        scenes = [{}]
        questions.append(Question("scenes", "scenes", "What should the video contain? Give at least one scene.",
                                  None, NO_DEFAULT))
        return questions
    count = len(scenes)
    avatar_ids = tuple(a for a, _ in catalogue.avatars)
    for i, scene in enumerate(scenes):
        where = "the avatar" if count == 1 else f"scene {i + 1}"
        if _blank(scene.get("avatar_id")) and not (needs.image_scenes and _image_background(scene)):
            shown_in = "the video" if count == 1 else where
            questions.append(Question(f"scenes.{i}.avatar_id", scene_form_name(i, "avatar_id", count),
                                      f"Which avatar should appear in {shown_in}?", avatar_ids or None,
                                      avatar_ids[0] if avatar_ids else NO_DEFAULT, labels=dict(catalogue.avatars)))
        speaks = not _blank(scene.get("script")) or not _blank(scene.get("audio"))
        if not speaks and scene.get("silence_seconds") is None:
            questions.append(Question(f"scenes.{i}.script", scene_form_name(i, "script", count),
                                      f"What should {where} say? (up to 5000 characters)", None, NO_DEFAULT))
            speaks = True
        if speaks and _blank(scene.get("audio")) and _blank(scene.get("voice_id")):
            avatar = scene.get("avatar_id")
            default = catalogue.avatar_voices.get(avatar) if isinstance(avatar, str) else None
            questions.append(_voice_question(f"scenes.{i}.voice_id", scene_form_name(i, "voice_id", count),
                                             catalogue, default, where))
    if _blank(request.get("orientation")) and request.get("dimension") is None:
        questions.append(ORIENTATION_QUESTION)
    return _merge_voice_questions(questions)


def _image_background(scene: Mapping[str, Any]) -> bool:
    background = scene.get("background")
    return isinstance(background, Mapping) and background.get("type") == "image" and not _blank(background.get("url"))


def _merge_voice_questions(questions: list[Question]) -> list[Question]:
    """Several scenes without a voice are asked once: one voice for all of them (the usual wish)."""
    voices = [q for q in questions if q.path.endswith(".voice_id")]
    if len(voices) < 2 or len({q.default for q in voices}) > 1:
        return questions
    paths = ",".join(q.path for q in voices)
    merged = Question(paths, "voice_id", "Which voice should the avatar use (all scenes)?", voices[0].allowed,
                      voices[0].default, labels=voices[0].labels)
    first = questions.index(voices[0])
    out = [q for q in questions if not q.path.endswith(".voice_id")]
    out.insert(first, merged)
    return out


def photo_video_questions(request: Mapping[str, Any], catalogue: Catalogue, needs: Needs) -> list[Question]:
    questions: list[Question] = []
    if _blank(request.get("image")):
        questions.append(Question("image", "image", "Which photo should talk? A local path inside the media roots "
                                  "or an https URL.", None, NO_DEFAULT))
    if _blank(request.get("script")) and _blank(request.get("audio")):
        questions.append(Question("script", "script", "What should the photo say? (up to 5000 characters)", None,
                                  NO_DEFAULT))
    if _blank(request.get("audio")) and _blank(request.get("voice_id")):
        questions.append(_voice_question("voice_id", "voice_id", catalogue, None, "the photo"))
    return questions


def defaults_for(questions: Sequence[Question]) -> tuple[dict[str, Any], list[Question]]:
    """Answers from defaults, and the questions that have no default (they must still be asked)."""
    answers = {q.form_name: q.default for q in questions if q.default is not NO_DEFAULT}
    return answers, [q for q in questions if q.default is NO_DEFAULT]


def apply_answers(request: Mapping[str, Any], questions: Sequence[Question],
                  answers: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Merge answers (keyed by form name) into a copy of `request`; returns (request, {path: value applied})."""
    merged: dict[str, Any] = _deep_copy(request)
    applied: dict[str, Any] = {}
    for q in questions:
        if q.form_name not in answers or _blank(answers[q.form_name]):
            continue
        value = answers[q.form_name]
        for path in q.path.split(","):
            _set_path(merged, path, value)
            applied[path] = value
    return merged, applied


def _deep_copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_deep_copy(v) for v in value]
    return value


def _set_path(target: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node: Any = target
    for part in parts[:-1]:
        node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
    last = parts[-1]
    if last == "scenes" and isinstance(value, str):
        node[last] = [{"script": value}]
    else:
        node[last] = value


# ---------------------------------------------------------------------------------------------- length

WORDS_PER_SECOND = 2.5
"""Typical narration pace (150 words a minute) for estimating length and cost before synthesis."""


def estimate_speech_seconds(text: str, speed: float = 1.0) -> float:
    words = len(re.findall(r"\w+", text))
    pauses = len(re.findall(r"[.!?;:]", text)) * 0.3
    return max(1.0, (words / WORDS_PER_SECOND + pauses) / max(speed, 0.1))


def estimate_video_seconds(scenes: Sequence[Mapping[str, Any]]) -> float:
    """Rough length of a video before it is made (audio scenes count 10 s each: their length is unknown)."""
    total = 0.0
    for scene in scenes:
        if scene.get("script"):
            total += estimate_speech_seconds(scene["script"], float(scene.get("speed") or 1.0))
        elif scene.get("silence_seconds"):
            total += float(scene["silence_seconds"])
        else:
            total += 10.0
    return total
