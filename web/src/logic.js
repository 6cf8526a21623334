// The view's pure rules: no DOM, no host. web/test/logic.test.mjs holds them to their word.

/** Job states in which check_job may still report something new (avatar_mcp/models.py OPEN_STATUSES). */
export const OPEN = new Set(["submitting", "queued", "processing", "finishing"]);

export const POLL_MIN_SECONDS = 0.5;
export const POLL_MAX_SECONDS = 30;
const POLL_DEFAULT_SECONDS = 3;

/** How long to wait before the next check_job: the server's hint, kept within sane bounds. */
export function pollDelaySeconds(handle) {
  const hint = Number(handle?.poll_after_seconds);
  const seconds = Number.isFinite(hint) && hint > 0 ? hint : POLL_DEFAULT_SECONDS;
  return Math.min(POLL_MAX_SECONDS, Math.max(POLL_MIN_SECONDS, seconds));
}

/** Progress as a whole percentage (the server reports 0..1). */
export function percent(handle) {
  const value = Number(handle?.progress);
  if (handle?.status === "succeeded") return 100;
  return Number.isFinite(value) ? Math.round(Math.min(1, Math.max(0, value)) * 100) : 0;
}

export const KIND_TITLES = {
  photo_generation: "AI photo generation",
  avatar: "Avatar",
  training: "Avatar training",
  video: "Video",
};

/** The last segment of a local path: the name the avatar://media resource serves a job's file under. */
export function baseName(path) {
  return String(path).split(/[\\/]/).pop();
}

export function mediaUri(jobId, path) {
  return `avatar://media/${encodeURIComponent(jobId)}/${encodeURIComponent(baseName(path))}`;
}

const MIME_BY_EXTENSION = {
  mp4: "video/mp4", webm: "video/webm", mov: "video/quicktime", m4v: "video/mp4",
  png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", webp: "image/webp", gif: "image/gif",
  srt: "text/plain", vtt: "text/vtt",
};

/** The media type of a job's file: the resource's own when it says more than "bytes", else from the name. */
export function mimeFor(path, declared) {
  if (declared && declared !== "application/octet-stream") return declared;
  const extension = baseName(path).split(".").pop().toLowerCase();
  return MIME_BY_EXTENSION[extension] ?? "application/octet-stream";
}

/**
 * The arguments of the next call: the previous ones with each answer set at its field's path. A path addresses
 * nested arguments (`scenes.0.voice_id`); one question may stand for several paths joined by commas (one voice
 * for every scene).
 */
export function applyAnswers(args, answers) {
  const next = structuredClone(args ?? {});
  for (const [field, value] of Object.entries(answers)) {
    for (const path of field.split(",")) setPath(next, path.trim().split("."), value);
  }
  return next;
}

function setPath(target, parts, value) {
  let node = target;
  parts.forEach((part, i) => {
    const key = /^\d+$/.test(part) ? Number(part) : part;
    if (i === parts.length - 1) {
      node[key] = value;
      return;
    }
    if (node[key] === null || typeof node[key] !== "object") node[key] = /^\d+$/.test(parts[i + 1]) ? [] : {};
    node = node[key];
  });
}

/** Which missing fields a form can answer: a whole list of scenes is for the chat, not for one text box. */
export function answerable(missing) {
  return (missing ?? []).filter((m) => m.field !== "scenes");
}

const TIME = /(\d+):(\d{2}):(\d{2})[,.](\d{3})\s*-->\s*(\d+):(\d{2}):(\d{2})[,.](\d{3})/;

/** Cues of an SRT or WebVTT file: [{start, end, text}] in seconds. */
export function parseCaptions(text) {
  const cues = [];
  for (const block of String(text).replace(/\r/g, "").split(/\n{2,}/)) {
    const lines = block.split("\n");
    const at = lines.findIndex((line) => TIME.test(line));
    if (at < 0) continue;
    const m = lines[at].match(TIME).slice(1).map(Number);
    const start = m[0] * 3600 + m[1] * 60 + m[2] + m[3] / 1000;
    const end = m[4] * 3600 + m[5] * 60 + m[6] + m[7] / 1000;
    const body = lines.slice(at + 1).join("\n").trim();
    if (body && end > start) cues.push({ start, end, text: body });
  }
  return cues;
}

/** The text of a tool result for people: its first text block's first line (the plain-sentence summary). */
export function summaryOf(result) {
  const text = (result?.content ?? []).find((block) => block.type === "text")?.text ?? "";
  return text.split("\n")[0];
}
