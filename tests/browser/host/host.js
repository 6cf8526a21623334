// A minimal MCP Apps host, as a chat client would be: an MCP client that negotiates the Apps extension, and for
// each tool call whose tool names a ui:// resource, a sandboxed iframe with that page, connected through the
// official AppBridge (which forwards the view's tool calls and resource reads to the server).
//
// The iframe gets the CSP the Apps spec asks hosts to build from the resource's declared domains (none here),
// so any network use by the view is blocked and reported in the console, where the test looks for it.
import {
  AppBridge, PostMessageTransport, RESOURCE_MIME_TYPE, getToolUiResourceUri,
} from "@modelcontextprotocol/ext-apps/app-bridge";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const HOST_INFO = { name: "avatar-mcp test host", version: "1.0.0" };
const APPS = "io.modelcontextprotocol/ui";

const client = new Client(HOST_INFO, { capabilities: { extensions: { [APPS]: { mimeTypes: [RESOURCE_MIME_TYPE] } } } });
await client.connect(new StreamableHTTPClientTransport(new URL("/mcp", location.href)));
const tools = new Map((await client.listTools()).tools.map((tool) => [tool.name, tool]));

// What the test inspects: the calls the views made, what they told the model, the links they asked to open.
const state = { calls: [], modelContext: [], links: [], turns: 0 };

function sources(domains) {
  return (domains ?? []).filter((d) => typeof d === "string" && !/[;\s'"]/.test(d)).join(" ");
}

/** The spec's restrictive default, widened only by the domains the resource declares. */
function contentSecurityPolicy(csp) {
  const resources = sources(csp?.resourceDomains);
  const connect = sources(csp?.connectDomains) || "'none'";
  return [
    "default-src 'none'", `script-src 'unsafe-inline' ${resources}`, `style-src 'unsafe-inline' ${resources}`,
    `img-src data: ${resources}`, `media-src data: ${resources}`, `font-src data: ${resources}`,
    `connect-src ${connect}`, "frame-src 'none'", "object-src 'none'", "base-uri 'none'", "form-action 'none'",
  ].map((d) => d.trim()).join("; ");
}

async function readView(uri) {
  const { contents } = await client.readResource({ uri });
  const content = contents[0];
  if (content?.mimeType !== RESOURCE_MIME_TYPE) throw new Error(`${uri} is served as ${content?.mimeType}`);
  const html = "blob" in content ? atob(content.blob) : content.text;
  const meta = `<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(content._meta?.ui?.csp)}">`;
  return html.replace(/<head[^>]*>/i, (head) => `${head}\n${meta}`);
}

/** Call a tool as the model would; when it has a view, show it with the call's input and result. */
async function callTool(name, args) {
  const tool = tools.get(name);
  if (!tool) throw new Error(`unknown tool ${name}`);
  const turn = ++state.turns;
  const box = document.createElement("section");
  box.className = "turn";
  box.dataset.turn = String(turn);
  const call = document.createElement("div");
  call.className = "call";
  call.textContent = `assistant called ${name}(${JSON.stringify(args)})`;
  box.append(call);
  document.getElementById("chat").append(box);

  const result = client.callTool({ name, arguments: args });
  const uri = getToolUiResourceUri(tool);
  if (!uri) return { turn, result: await result };

  const iframe = document.createElement("iframe");
  iframe.setAttribute("sandbox", "allow-scripts");
  iframe.title = `${name} view`;
  box.append(iframe);

  const bridge = new AppBridge(client, HOST_INFO, {
    serverTools: {}, serverResources: {}, openLinks: {}, logging: {}, updateModelContext: { text: {} },
  }, {
    hostContext: { toolInfo: { tool }, theme: "light", displayMode: "inline", availableDisplayModes: ["inline"],
      platform: "web", locale: "en-US", containerDimensions: { maxHeight: 4000 } },
  });
  bridge.onupdatemodelcontext = async (params) => {
    state.modelContext.push({ turn, ...params });
    return {};
  };
  bridge.onopenlink = async ({ url }) => {
    state.links.push(url);
    return {};
  };
  bridge.onloggingmessage = (params) => console.log(`[view ${turn}]`, JSON.stringify(params.data));
  bridge.onsizechange = ({ height }) => {
    if (height !== undefined) iframe.style.height = `${Math.ceil(height) + 2}px`;
  };
  const initialized = new Promise((resolve) => { bridge.oninitialized = resolve; });
  await bridge.connect(new PostMessageTransport(iframe.contentWindow, iframe.contentWindow));
  // connect() routes the view's tool calls to the client; this keeps that and records them for the test.
  bridge.oncalltool = async (params, extra) => {
    state.calls.push({ turn, name: params.name, arguments: params.arguments });
    return client.callTool(params, undefined, { signal: extra.signal });
  };
  iframe.srcdoc = await readView(uri);
  await initialized;
  await bridge.sendToolInput({ arguments: args });
  const answer = await result;
  await bridge.sendToolResult(answer);
  return { turn, result: answer };
}

window.host = { state, callTool, ready: true };
