// A job's files, read through the host from the server's avatar://media/{job_id}/{name} resource.
//
// The page may open no connection of its own (its CSP allows none), so files arrive base64-encoded inside the
// resources/read answer and are shown from data: URLs, which the MCP Apps default CSP allows for images and
// media.
import { mediaUri, mimeFor } from "./logic.js";

export class Media {
  constructor(app) {
    this.app = app;
    this.cache = new Map();
  }

  /** A data: URL for one file of a job (cached: the same file is read once per view). */
  dataUrl(jobId, path) {
    return this.#read(jobId, path).then(({ mime, base64 }) => `data:${mime};base64,${base64}`);
  }

  /** The file decoded as UTF-8 text (captions). */
  text(jobId, path) {
    return this.#read(jobId, path).then(({ text, base64 }) => text ?? decodeBase64(base64));
  }

  #read(jobId, path) {
    const uri = mediaUri(jobId, path);
    if (!this.cache.has(uri)) {
      const pending = this.app.readServerResource({ uri }).then((answer) => {
        const content = answer?.contents?.[0];
        if (!content) throw new Error(`The server sent nothing for ${uri}.`);
        const mime = mimeFor(path, content.mimeType);
        if (typeof content.blob === "string") return { mime, base64: content.blob };
        return { mime, text: content.text ?? "", base64: encodeBase64(content.text ?? "") };
      });
      // A failed read may succeed later (a download finishing): forget it so the next render asks again.
      pending.catch(() => this.cache.delete(uri));
      this.cache.set(uri, pending);
    }
    return this.cache.get(uri);
  }
}

function decodeBase64(base64) {
  return new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
}

function encodeBase64(text) {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
