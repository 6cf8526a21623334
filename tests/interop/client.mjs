// Drives avatar-mcp over stdio with the official TypeScript SDK client, as a third-party chat client would:
// the server asks for the missing voice with an elicitation form, this client accepts the suggested default,
// and a short local video is rendered and checked on disk.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { existsSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..", "..");
const python = process.env.AVATAR_MCP_PYTHON ?? join(root, ".venv", "bin", "python");
const dataDir = mkdtempSync(join(tmpdir(), "avatar-mcp-interop-"));

function fail(message) {
  console.error(`interop: FAILED: ${message}`);
  process.exit(1);
}

const transport = new StdioClientTransport({
  command: python,
  args: ["-m", "avatar_mcp"],
  env: { ...process.env, AVATAR_MCP_DATA_DIR: dataDir, AVATAR_MCP_LOG_LEVEL: "WARNING" },
  stderr: "inherit",
});
const client = new Client({ name: "avatar-mcp-interop", version: "1.0.0" }, { capabilities: { elicitation: {} } });

const forms = [];
client.setRequestHandler(ElicitRequestSchema, async (request) => {
  const schema = request.params.requestedSchema;
  forms.push(schema);
  const content = {};
  for (const [name, field] of Object.entries(schema.properties)) content[name] = field.default;
  return { action: "accept", content };
});

await client.connect(transport);
const { tools } = await client.listTools();
if (!tools.some((t) => t.name === "create_video")) fail("create_video is not listed");

const started = await client.callTool({
  name: "create_video",
  arguments: {
    provider: "local",
    dimension: { width: 320, height: 240 },
    scenes: [{ avatar_id: "local-grace", script: "Hello from the TypeScript client." }],
  },
});
const handle = started.structuredContent;
if (started.isError || !handle?.job_id) fail(`create_video answered ${JSON.stringify(started.content)}`);
if (forms.length !== 1 || !forms[0].properties.voice_id) fail(`expected one form asking for voice_id, got ${JSON.stringify(forms)}`);
console.log(`interop: the server asked for ${Object.keys(forms[0].properties).join(", ")}; job ${handle.job_id} is ${handle.status}`);

let final = handle;
for (let round = 0; round < 10 && ["submitting", "queued", "processing"].includes(final.status); round++) {
  const checked = await client.callTool({ name: "check_job", arguments: { job_id: handle.job_id, wait_seconds: 30 } });
  final = checked.structuredContent;
}
await client.close();
if (final.status !== "succeeded") fail(`the job ended ${final.status}: ${JSON.stringify(final.error ?? final.message)}`);
const video = final.result.video_path;
if (!existsSync(video) || statSync(video).size < 1000) fail(`no video at ${video}`);
console.log(`interop: OK, ${final.result.duration_seconds} s video at ${video}`);
