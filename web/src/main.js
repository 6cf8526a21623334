// The avatar studio: an MCP App view of one job, following it (and the jobs started from it) through the host.
//
// The host hands the view the arguments and the result of the tool call it belongs to. From then on the view
// talks to the server only through the host: check_job to follow the job at the server's poll_after_seconds
// hint, create_photo_avatar when a candidate is picked, create_video from a finished avatar, the same tool again
// with the answers when fields were missing, and avatar://media/... to read the files it shows.
import { App, applyDocumentTheme, applyHostFonts, applyHostStyleVariables } from "@modelcontextprotocol/ext-apps";
import { OPEN, applyAnswers, pollDelaySeconds, summaryOf } from "./logic.js";
import { Media } from "./media.js";
import * as ui from "./render.js";

const MAX_POLL_FAILURES = 5;
const MAX_EVENTS = 8;

class Studio {
  constructor(app) {
    this.app = app;
    this.media = new Media(app);
    this.tool = null; // the tool whose answer is shown: needed to send a form's answers back
    this.args = {};
    this.shown = null; // job id + status of the body on screen, so polls only redraw what changed
    this.timer = null;
    this.failures = 0;
    this.stopped = false;
    this.events = []; // what happened in the view, for the model
  }

  hostTool() {
    return this.app.getHostContext()?.toolInfo?.tool?.name ?? null;
  }

  /**
   * The answer of a tool call: a job handle (structured content), or an error. `polled` marks the view's own
   * check_job answers, whose news (a job finishing) the model has not seen.
   */
  show(result, polled = false) {
    if (result?.isError) {
      ui.showError(summaryOf(result) || "The tool call failed.");
      return;
    }
    ui.showError(null);
    const handle = result?.structuredContent;
    if (!handle?.status) {
      ui.setBody(ui.h("p", {}, summaryOf(result) || "The tool answered without a job."));
      return;
    }
    ui.showJob(handle);
    // Polls of an open job redraw only the progress; any other answer (a new form, a result) redraws the body.
    const key = `${handle.job_id ?? ""}:${handle.status}`;
    if (key !== this.shown || !OPEN.has(handle.status)) {
      this.shown = key;
      ui.setBody(...this.body(handle));
    }
    if (OPEN.has(handle.status)) this.schedule(handle);
    else if (polled && handle.job_id) this.tellModel(summaryOf(result));
  }

  body(handle) {
    const result = handle.result;
    const warnings = ui.notes(result?.warnings);
    switch (handle.status) {
      case "needs_input":
        return ui.missingForm(handle, this.tool ? {
          onSubmit: (answers, button) => this.answer(applyAnswers(this.args, answers), button),
          onDefaults: (button) => this.answer({ ...this.args, on_missing: "default" }, button),
        } : {});
      case "needs_confirmation":
        return ui.confirmCard(handle, this.tool && handle.confirmation_code ? (button) => this.call(this.tool,
          { ...this.args, confirm_spend: handle.confirmation_code }, button,
          { what: "In the avatar studio the user approved the estimated cost" }) : null);
      case "declined":
        return [ui.h("p", {}, handle.message ?? "Nothing was submitted.")];
      case "succeeded":
        if (result?.candidates?.length) {
          return [...ui.candidatesGrid(handle, this.media, (c, b) => this.pick(handle, c, b)), ...warnings];
        }
        if (result?.video_path) return [...ui.videoPlayer(handle, this.media), ...warnings];
        if (result?.avatar_id) {
          return [...ui.avatarCard(handle, this.media, (id, script, b) => this.talk(handle, id, script, b)),
            ...warnings];
        }
        if (result?.video_url) {
          // Only a vendor URL (the local copy failed): the page may not load it, the host can open it.
          const open = () => this.app.openLink({ url: result.video_url });
          return [ui.h("button", { class: "secondary", type: "button", onclick: open }, "Open the video"),
            ...warnings];
        }
        return warnings;
      default:
        return OPEN.has(handle.status) ? [] : [ui.h("p", { class: "muted" }, handle.error?.retryable
          ? "This may work if you try again." : "Ask in the chat what to change.")];
    }
  }

  /**
   * Call a tool through the host and show its answer; `button` is disabled meanwhile. `what` says in words what
   * the user did, for the model; `trail` is the line under the job saying where it came from.
   */
  async call(name, args, button, { what, trail } = {}) {
    this.stopPolling();
    const buttons = [...document.querySelectorAll("button")];
    for (const b of buttons) b.disabled = true;
    button?.setAttribute("aria-busy", "true");
    try {
      const result = await this.app.callServerTool({ name, arguments: args });
      this.tool = name;
      this.args = args;
      if (trail) ui.setTrail(trail);
      if (what) this.tellModel(`${what}; ${name} answered: ${summaryOf(result)}`);
      this.show(result);
      // A refusal leaves the body as it was: let the user change something and try again.
      if (result.isError) for (const b of buttons) b.disabled = false;
      return result;
    } catch (error) {
      ui.showError(`${name} could not be called: ${error.message}`);
      for (const b of buttons) b.disabled = false;
      return null;
    } finally {
      button?.removeAttribute("aria-busy");
    }
  }

  pick(generation, candidate, button) {
    button.setAttribute("aria-pressed", "true");
    const number = candidate.index + 1;
    const args = { from_generation: { job_id: generation.job_id, index: candidate.index } };
    // The generation's name carries over; without it (a view opened by check_job) the server asks for one.
    if (this.tool === "generate_photo_avatar" && this.args.name) args.name = this.args.name;
    return this.call("create_photo_avatar", args, button, {
      what: `In the avatar studio the user picked candidate ${number} of ${generation.job_id}`,
      trail: `From candidate ${number} of ${generation.job_id}.`,
    });
  }

  talk(handle, avatarId, script, button) {
    if (!script) return null;
    const args = { scenes: [{ avatar_id: avatarId, script }], provider: handle.provider };
    return this.call("create_video", args, button, {
      what: `In the avatar studio the user asked avatar ${avatarId} to say: ${JSON.stringify(script)}`,
      trail: `Spoken by avatar ${avatarId}.`,
    });
  }

  answer(args, button) {
    return this.call(this.tool, args, button, { what: "In the avatar studio the user filled in the missing fields" });
  }

  schedule(handle) {
    this.stopPolling();
    if (this.stopped) return;
    this.timer = setTimeout(() => this.poll(handle.job_id), pollDelaySeconds(handle) * 1000);
  }

  async poll(jobId) {
    this.timer = null;
    try {
      const result = await this.app.callServerTool({ name: "check_job", arguments: { job_id: jobId } });
      this.failures = 0;
      this.show(result, true);
    } catch (error) {
      this.failures += 1;
      if (this.failures >= MAX_POLL_FAILURES) {
        ui.showError(`Stopped following ${jobId}: ${error.message}. Ask in the chat for its status.`);
        return;
      }
      ui.showError(`Could not reach the server (${error.message}); trying again.`);
      this.timer = setTimeout(() => this.poll(jobId), 2000 * this.failures);
    }
  }

  stopPolling() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * Let the model know what happened in the view, when the host takes such updates. Each update replaces the
   * previous one, so it carries the last few events, not only the newest.
   */
  tellModel(text) {
    if (!this.app.getHostCapabilities()?.updateModelContext) return;
    this.events.push(text);
    const recent = this.events.slice(-MAX_EVENTS).join("\n");
    this.app.updateModelContext({ content: [{ type: "text", text: recent }] }).catch(() => {});
  }
}

function applyTheme(context) {
  if (context?.theme) applyDocumentTheme(context.theme);
  if (context?.styles?.variables) applyHostStyleVariables(context.styles.variables);
  if (context?.styles?.css?.fonts) applyHostFonts(context.styles.css.fonts);
}

const app = new App({ name: "avatar-mcp studio", version: "1.0.0" });
const studio = new Studio(app);
app.ontoolinput = ({ arguments: args }) => { studio.args = args ?? {}; };
app.ontoolresult = (result) => {
  studio.tool ??= studio.hostTool();
  studio.show(result);
};
app.ontoolcancelled = ({ reason }) => ui.showError(`The tool call was cancelled${reason ? `: ${reason}` : "."}`);
app.onhostcontextchanged = applyTheme;
app.onteardown = async () => {
  studio.stopped = true;
  studio.stopPolling();
  return {};
};
app.connect().then(() => applyTheme(app.getHostContext()), (error) => ui.showError(`No host: ${error.message}`));
