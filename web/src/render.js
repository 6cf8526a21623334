// DOM building blocks of the studio. Everything the server sends is inserted as text, never as HTML.
import { KIND_TITLES, answerable, parseCaptions, percent } from "./logic.js";

const $ = (role) => document.querySelector(`[data-role="${role}"]`);

/** An element: h("p", {class: "x", onclick: f}, "text", child). */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key in node && key !== "list") node[key] = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  node.append(...children.flat().filter((c) => c !== undefined && c !== null && c !== false));
  return node;
}

export function setBody(...nodes) {
  $("body").replaceChildren(...nodes);
}

export function showError(text) {
  const box = $("error");
  box.hidden = !text;
  box.textContent = text ?? "";
}

export function setTrail(text) {
  const box = $("trail");
  box.hidden = !text;
  box.textContent = text ?? "";
}

/** The status chip, the job line, the progress bar and the job's message. */
export function showJob(handle) {
  const chip = $("status");
  chip.hidden = false;
  chip.dataset.status = handle.status;
  chip.textContent = handle.status.replace("_", " ");
  const job = $("job");
  job.hidden = !handle.job_id;
  if (handle.job_id) {
    job.replaceChildren(`${KIND_TITLES[handle.kind] ?? handle.kind ?? "Job"} · ${handle.provider ?? "?"} · `,
      h("code", {}, handle.job_id));
  }
  const box = $("progress-box");
  box.hidden = !handle.job_id;
  const value = percent(handle);
  const bar = $("progress");
  bar.setAttribute("aria-valuenow", String(value));
  bar.firstElementChild.style.width = `${value}%`;
  const message = handle.error?.message ?? handle.message ?? "";
  $("message").textContent = handle.status === "succeeded" || !message ? message : `${value}% · ${message}`;
}

/** A placeholder image that fills in when its data arrives (or says why not). */
export function asyncImage(load, alt, className) {
  const img = h("img", { alt, class: className });
  load().then((url) => { img.src = url; }, (error) => { img.alt = `${alt}: ${error.message}`; });
  return img;
}

export function candidatesGrid(handle, media, onPick) {
  const buttons = handle.result.candidates.map((candidate) => h("button", {
    class: "candidate", type: "button", "data-role": "candidate", "data-index": candidate.index,
    onclick: (event) => onPick(candidate, event.currentTarget),
  },
  candidate.image_path
    ? asyncImage(() => media.dataUrl(handle.job_id, candidate.image_path), `Candidate ${candidate.index + 1}`)
    : h("span", {}, "(no local image)"),
  h("span", {}, `Candidate ${candidate.index + 1} · make it an avatar`)));
  return [h("h2", {}, "Pick a face"), h("div", { class: "grid" }, buttons)];
}

export function avatarCard(handle, media, onVideo) {
  const result = handle.result;
  const script = h("textarea", { "data-role": "script", maxLength: 5000,
    value: "Hello! I am your new avatar, drawn and animated on this computer." });
  const picture = result.preview_image_path
    ? asyncImage(() => media.dataUrl(handle.job_id, result.preview_image_path), "The avatar", "thumb")
    : null;
  const nodes = [h("div", { class: "card" }, picture, h("div", {},
    h("p", {}, "Avatar ", h("code", { "data-role": "avatar-id" }, result.avatar_id ?? "?")),
    result.default_voice_id ? h("p", { class: "muted" }, `Voice: ${result.default_voice_id}`) : null))];
  if (result.avatar_id && handle.kind === "avatar") {
    nodes.push(h("form", { "data-role": "talk", onsubmit: (event) => event.preventDefault() },
      h("label", {}, "Make it talk", script),
      h("div", { class: "actions" }, h("button", { class: "primary", type: "button",
        onclick: (event) => onVideo(result.avatar_id, script.value.trim(), event.currentTarget) }, "Make a video"))));
  }
  return nodes;
}

/** The finished video, played from a data: URL, with its captions as a text track. */
export function videoPlayer(handle, media) {
  const result = handle.result;
  const video = h("video", { controls: true, autoplay: true, muted: true, playsInline: true, preload: "auto",
    "data-role": "video" });
  const status = h("p", { class: "muted", "data-role": "video-status" }, "Loading the video…");
  media.dataUrl(handle.job_id, result.video_path).then((url) => {
    video.src = url;
    const captions = result.captions_path ? " · captions on" : "";
    status.textContent = result.duration_seconds ? `${result.duration_seconds} s${captions}` : captions.slice(3);
  }, (error) => { status.textContent = `The video could not be loaded: ${error.message}`; });
  if (result.thumbnail_path) {
    media.dataUrl(handle.job_id, result.thumbnail_path).then((url) => { video.poster = url; }, () => {});
  }
  if (result.captions_path) {
    media.text(handle.job_id, result.captions_path).then((text) => {
      const track = video.addTextTrack("captions", "Captions", "en");
      for (const cue of parseCaptions(text)) track.addCue(new VTTCue(cue.start, cue.end, cue.text));
      track.mode = "showing";
    }, (error) => { status.textContent += ` (captions unavailable: ${error.message})`; });
  }
  return [video, status];
}

/**
 * The fields a request still needs, as a form. `onSubmit(answers)` receives {field path: value}; `onDefaults`
 * (when given) accepts the server's suggestions instead.
 */
export function missingForm(handle, { onSubmit, onDefaults }) {
  const fields = answerable(handle.missing);
  const inputs = fields.map((m) => ({ m, input: fieldInput(m) }));
  const rest = (handle.missing ?? []).filter((m) => !fields.includes(m));
  const cost = handle.estimated_cost;
  // Buttons, not a submit: hosts may sandbox the view without allow-forms, which blocks submit events.
  const submit = (button) => {
    const answers = {};
    let ok = true;
    for (const { m, input } of inputs) {
      const value = input.type === "checkbox" ? input.checked : input.value.trim();
      const blank = value === "" || value === undefined;
      input.classList.toggle("invalid", blank);
      ok &&= !blank;
      answers[m.field] = value;
    }
    if (ok) onSubmit(answers, button);
  };
  const form = h("form", { "data-role": "needs-input", onsubmit: (event) => event.preventDefault() },
  h("h2", {}, "A few answers are needed before anything is made"),
  cost ? h("p", { class: "muted" }, `Estimated cost: ${cost.amount} ${cost.unit} (${cost.basis}).`) : null,
  inputs.map(({ m, input }) => input.type === "checkbox"
    ? h("label", { class: "check" }, input, m.question)
    : h("label", {}, m.question, m.allowed_values ? null : h("small", {}, m.field), input)),
  rest.length ? h("p", { class: "muted" }, `Answer in the chat: ${rest.map((m) => m.question).join(" ")}`) : null,
  onSubmit ? h("div", { class: "actions" },
    h("button", { class: "primary", type: "button", "data-role": "submit",
      onclick: (event) => submit(event.currentTarget) }, "Continue"),
    onDefaults ? h("button", { class: "secondary", type: "button", onclick: (e) => onDefaults(e.currentTarget) },
      "Use the suggestions") : null)
    : h("p", { class: "muted" }, "Answer these in the chat."));
  return [form];
}

/**
 * A paid submission waiting for the user's yes (AVATAR_MCP_CONFIRM_SPEND): the cost, and one button that sends
 * the single-use code back with the same request. Without `onApprove` the user answers in the chat.
 */
export function confirmCard(handle, onApprove) {
  const cost = handle.estimated_cost;
  return [h("div", { "data-role": "needs-confirmation" },
    h("h2", {}, "Approve the cost before anything is made"),
    h("p", {}, cost ? `Estimated cost: ${cost.amount} ${cost.unit} (${cost.basis}).` : (handle.message ?? "")),
    onApprove
      ? h("div", { class: "actions" }, h("button", { class: "primary", type: "button", "data-role": "approve",
        onclick: (event) => onApprove(event.currentTarget) }, "Approve and submit"))
      : h("p", { class: "muted" }, "Answer in the chat."))];
}

function fieldInput(m) {
  const name = m.field;
  if (name === "confirm_spend" || typeof m.default === "boolean") {
    return h("input", { type: "checkbox", name, checked: m.default === true });
  }
  if (m.allowed_values?.length) {
    return h("select", { name }, m.allowed_values.map((value) =>
      h("option", { value, selected: value === m.default }, value)));
  }
  const value = m.default === null || m.default === undefined ? "" : String(m.default);
  return value.length > 60 || /script|description|appearance|prompt/.test(name)
    ? h("textarea", { name, value })
    : h("input", { type: "text", name, value });
}

export function notes(lines) {
  return lines?.length ? [h("ul", { class: "notes" }, lines.map((line) => h("li", {}, line)))] : [];
}
