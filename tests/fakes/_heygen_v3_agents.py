"""HeyGen v3 Video Agent: POST /v3/video-agents (generate | chat), GET /v3/video-agents/{session_id}. A session in
generate mode "thinks" for `agent_think_polls` reads, then starts (and is charged for) a video like any other."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from tests.fakes._heygen_common import ApiError, bad, new_id
from tests.fakes._heygen_v3_schema import AGENT_CREATE
from tests.fakes._heygen_v3_videos import Plan, V3Videos
from tests.fakes._heygen_validate import only, opt_bool, opt_enum, opt_str, opt_url, req_str

AGENT_SECONDS = 30.0
AGENT_FIELDS = ("session_id", "status", "progress", "video_id", "title", "created_at", "messages")


class V3Agents(V3Videos):
    """Video Agent routes on top of the video routes."""

    def agent_routes(self) -> list[BaseRoute]:
        a = self.api
        return [a("/v3/video-agents", self.create_agent, ["POST"], "v3"),
                a("/v3/video-agents/{session_id}", self.get_agent, ["GET"], "v3")]

    def _agent_view(self, session: dict[str, Any]) -> dict[str, Any]:
        return {k: session[k] for k in AGENT_FIELDS}

    def _say(self, session: dict[str, Any], kind: str, content: str) -> None:
        session["messages"] = [*session["messages"], {"role": "model", "type": kind, "content": content}][-40:]

    def _agent_render(self, session: dict[str, Any], *, answering: bool = False) -> None:
        """The agent has written the video: it starts (and is charged) like any other, AGENT_SECONDS long. Inside
        the create call (`answering`) a refusal is the create's answer; later it fails the session."""
        try:
            video = self._start(Plan(seconds=AGENT_SECONDS, texts=[session["_prompt"][:200]]), session["_body"],
                                "video_agent", _session=session["session_id"])
        except ApiError as error:
            if answering:
                raise
            if error.status == 429:
                return  # over the concurrency cap: the agent keeps thinking and tries again
            session.update(status="failed", progress=100)
            self._say(session, "error", error.message)
            return
        video["title"] = session["title"]
        session.update(status="generating", video_id=video["id"], progress=10)
        self._say(session, "text", f"Rendering a {AGENT_SECONDS:g}-second video: {session['title']}.")

    async def create_agent(self, request: Request) -> Response:
        body = await self.read_json(request)
        only(body, AGENT_CREATE)
        prompt = req_str(body, "prompt", max_len=10000)
        mode = opt_enum(body, "mode", ["generate", "chat"], default="generate")
        if opt_str(body, "avatar_id"):
            self.find_look(body["avatar_id"], "avatar_id")
        if opt_str(body, "voice_id"):
            self.find_voice(body["voice_id"], "voice_id")
        for key in ("style_id", "brand_kit_id", "callback_id"):
            opt_str(body, key)
        opt_enum(body, "orientation", ["landscape", "portrait"])
        opt_bool(body, "incognito_mode")
        opt_url(body, "callback_url")
        files = body.get("files") or []
        if not isinstance(files, list) or len(files) > 20:
            raise bad("files", "files must be a list of at most 20 AssetInputs.")
        for i, item in enumerate(files):
            await self.resolve(item, f"files[{i}]")
        with self.state_lock:
            session: dict[str, Any] = {
                "session_id": new_id(), "status": "thinking", "progress": 0, "video_id": None,
                "title": prompt[:60], "created_at": int(time.time()),
                "messages": [{"role": "user", "type": "text", "content": prompt}], "_mode": mode, "_reads": 0,
                "_prompt": prompt, "_body": body, "_callback_url": body.get("callback_url")}
            if mode == "generate" and self.agent_think_polls == 0:
                self._agent_render(session, answering=True)
            self.video_agents[session["session_id"]] = session
            return self.data({k: session[k] for k in ("session_id", "status", "video_id", "created_at")})

    async def get_agent(self, request: Request) -> Response:
        with self.state_lock:
            session = self.video_agents.get(request.path_params["session_id"])
            if session is None:
                raise self.not_found("video agent session", request.path_params["session_id"], "session_id")
            video = self.videos.get(session["video_id"] or "")
            if video is not None:
                self.advance(video)
                status = {"completed": "completed", "failed": "failed"}.get(video["status"], "generating")
                if status == "failed" and session["status"] != "failed":
                    self._say(session, "error", video["failure_message"] or "The video could not be rendered.")
                session["status"] = status
                session["progress"] = {"completed": 100, "failed": 100, "processing": 50}.get(video["status"], 10)
            elif session["_mode"] == "chat" and session["status"] == "thinking":
                session["status"] = "waiting_for_input"
                self._say(session, "text", "Which avatar and tone should the video use?")
            elif session["_mode"] == "generate" and session["status"] == "thinking":
                session["_reads"] += 1
                session["progress"] = 5
                if session["_reads"] > self.agent_think_polls:
                    self._agent_render(session)
            return self.data(self._agent_view(session))
