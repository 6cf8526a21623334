// The view's pure rules (web/src/logic.js), run with `npm test` in web/.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  answerable, applyAnswers, baseName, mediaUri, mimeFor, parseCaptions, percent, pollDelaySeconds, summaryOf,
} from "../src/logic.js";

test("answers land at their paths, a comma-joined field at every path, other arguments untouched", () => {
  const args = { scenes: [{ avatar_id: "a", script: "Hi" }, { avatar_id: "b", script: "Bye" }], provider: "local" };
  const next = applyAnswers(args, { "scenes.0.voice_id,scenes.1.voice_id": "v1", orientation: "square" });
  assert.deepEqual(next, {
    scenes: [{ avatar_id: "a", script: "Hi", voice_id: "v1" }, { avatar_id: "b", script: "Bye", voice_id: "v1" }],
    provider: "local", orientation: "square",
  });
  assert.equal(args.scenes[0].voice_id, undefined, "the previous arguments are not modified");
});

test("a path into arguments that do not exist yet creates lists for numeric parts", () => {
  assert.deepEqual(applyAnswers({}, { "scenes.0.script": "Hello" }), { scenes: [{ script: "Hello" }] });
  assert.deepEqual(applyAnswers(undefined, { confirm_spend: true }), { confirm_spend: true });
});

test("a whole list of scenes is left to the chat", () => {
  const missing = [{ field: "scenes", question: "What should the video contain?" }, { field: "orientation" }];
  assert.deepEqual(answerable(missing).map((m) => m.field), ["orientation"]);
});

test("the poll delay follows the server's hint within bounds", () => {
  assert.equal(pollDelaySeconds({ poll_after_seconds: 0.5 }), 0.5);
  assert.equal(pollDelaySeconds({ poll_after_seconds: 12 }), 12);
  assert.equal(pollDelaySeconds({ poll_after_seconds: 0.01 }), 0.5);
  assert.equal(pollDelaySeconds({ poll_after_seconds: 3600 }), 30);
  assert.equal(pollDelaySeconds({}), 3);
});

test("progress is a whole percentage, and full once the job succeeded", () => {
  assert.equal(percent({ status: "processing", progress: 0.456 }), 46);
  assert.equal(percent({ status: "succeeded", progress: 0.9 }), 100);
  assert.equal(percent({ status: "queued" }), 0);
  assert.equal(percent({ status: "processing", progress: 7 }), 100);
});

test("media are addressed by job id and file name", () => {
  assert.equal(baseName("/data/media/jobs/job_1/video.mp4"), "video.mp4");
  assert.equal(baseName("C:\\data\\x.png"), "x.png");
  assert.equal(mediaUri("job_1", "/a/b/candidate 0.png"), "avatar://media/job_1/candidate%200.png");
  assert.equal(mimeFor("/a/video.webm", "application/octet-stream"), "video/webm");
  assert.equal(mimeFor("/a/video.mp4", "video/mp4"), "video/mp4");
  assert.equal(mimeFor("/a/thumb.JPG"), "image/jpeg");
});

test("SRT and WebVTT cues are read, with multi-line text and CRLF line ends", () => {
  const srt = "1\r\n00:00:00,000 --> 00:00:01,500\r\nHello there.\r\n\r\n2\r\n00:00:01,500 --> 00:01:02,250\r\nTwo\r\nlines\r\n";
  assert.deepEqual(parseCaptions(srt), [
    { start: 0, end: 1.5, text: "Hello there." }, { start: 1.5, end: 62.25, text: "Two\nlines" },
  ]);
  const vtt = "WEBVTT\n\n00:00:02.000 --> 00:00:03.000\nVTT cue\n\nNOTE not a cue\n";
  assert.deepEqual(parseCaptions(vtt), [{ start: 2, end: 3, text: "VTT cue" }]);
  assert.deepEqual(parseCaptions("garbage"), []);
});

test("the summary is the first line of the first text block", () => {
  assert.equal(summaryOf({ content: [{ type: "image" }, { type: "text", text: "Job x is queued.\n{json}" }] }),
    "Job x is queued.");
  assert.equal(summaryOf({}), "");
});
