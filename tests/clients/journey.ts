// An integrator's whole journey through openapi-fetch, typed by what openapi-typescript generated from
// docintel's schema (tests/clients/generated/, made at test time). `tsc --noEmit` checks this file
// against those types first, so a schema that stops describing the API fails the build.
// Run by tests/clients/test_typescript_client.py, which passes the server, tokens and sample in the
// environment and checks the JSON summary this prints.

import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { basename } from "node:path";
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/docintel-api";

type Verify = (secret: string, header: string, body: Buffer, toleranceS?: number) => boolean;

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const baseUrl = env("DOCINTEL_URL");
const client = (role: string) =>
  createClient<paths>({ baseUrl, headers: { Authorization: `Token ${env(`DOCINTEL_TOKEN_${role}`)}` } });
const clerk = client("CLERK");
const reviewer = client("REVIEWER");
const compliance = client("COMPLIANCE");
const { verifyDocintelWebhook } = (await import(env("VERIFY_WEBHOOK_MODULE"))) as { verifyDocintelWebhook: Verify };

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

// A webhook receiver, as an integrator would run one: verify, then acknowledge.
const hooks: { verified: boolean; body: { id: string; status: string } }[] = [];
const receiver = createServer(async (request: IncomingMessage, response) => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const header = String(request.headers["x-docintel-webhook-signature"] ?? "");
  hooks.push({ verified: verifyDocintelWebhook(env("WEBHOOK_SECRET"), header, body), body: JSON.parse(body.toString()) });
  response.writeHead(204).end();
});
await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

// Upload (multipart/form-data) with an idempotency key; the same request again, the same document.
const samplePath = env("SAMPLE_PATH");
const sample = new Blob([await readFile(samplePath)], { type: "text/plain" });
const upload = () =>
  clerk.POST("/api/v1/documents/", {
    params: { header: { "Idempotency-Key": "typescript-journey-1" } },
    body: { file: basename(samplePath), kind: "clinical_note", webhook_url: hookUrl },
    bodySerializer(fields) {
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) {
        if (name === "file") form.append("file", sample, String(value));
        else if (value !== undefined) form.append(name, String(value));
      }
      return form;
    },
  });
const first = await upload();
check(first.response.status === 202 && first.data, `upload: ${first.response.status}`);
const again = await upload();
check(again.data?.id === first.data.id && again.data.created === false, "idempotent upload");
const id = first.data.id;

// Poll with If-None-Match until the document settles.
let etag: string | undefined;
let notModified = 0;
let document: components["schemas"]["Document"] | undefined;
const deadline = Date.now() + Number(env("PROCESSING_S")) * 1000;
for (;;) {
  const { data, response } = await clerk.GET("/api/v1/documents/{id}/", {
    params: { path: { id }, header: etag ? { "If-None-Match": etag } : {} },
  });
  if (response.status === 304) notModified += 1;
  else {
    check(data, `detail: ${response.status}`);
    etag = response.headers.get("ETag") ?? undefined;
    document = data;
    if (data.status === "done" || data.status === "failed") break;
  }
  check(Date.now() < deadline, "the document did not settle");
  await new Promise((resolve) => setTimeout(resolve, 1000));
}
check(document?.status === "done", `document ${document?.status}`);
// The settled document asked for again with its ETag: 304 and no body. (Polling alone may never see one:
// a document that settles between two polls changes at every poll.)
const unchanged = await clerk.GET("/api/v1/documents/{id}/", {
  params: { path: { id }, header: { "If-None-Match": etag ?? "" } },
});
if (unchanged.response.status === 304) notModified += 1;
for (let waited = 0; hooks.length === 0 && waited < 60_000; waited += 200) {
  await new Promise((resolve) => setTimeout(resolve, 200));
}
receiver.close();

const extraction = await clerk.GET("/api/v1/documents/{id}/extraction/", { params: { path: { id } } });
check(extraction.data, `extraction: ${extraction.response.status}`);
const redacted = await clerk.GET("/api/v1/documents/{id}/redacted/", { params: { path: { id } } });
check(redacted.data, `redacted: ${redacted.response.status}`);
const pointer = Object.keys(extraction.data.grounding)[0];
check(pointer, "the extraction has fields");
const correction = await reviewer.POST("/api/v1/documents/{id}/corrections/", {
  params: { path: { id } },
  body: { pointer, value: "corrected through the TypeScript client", decision: "correct" },
});
check(correction.data, `correction: ${correction.response.status}`);

// One query per action: every poll above is a read of the document, and so an event of its own.
const actions: string[] = [];
for (const action of ["document.uploaded", "document.viewed", "extraction.corrected"]) {
  const events = await compliance.GET("/api/v1/audit/events/", {
    params: { query: { document: id, action, page_size: 1 } },
  });
  check(events.data, `events: ${events.response.status}`);
  actions.push(...events.data.results.map((event) => event.action));
}
const status = await compliance.GET("/api/v1/audit/status/");
check(status.data, `status: ${status.response.status}`);
const missing = await clerk.GET("/api/v1/documents/{id}/", {
  params: { path: { id: "00000000-0000-4000-8000-000000000000" } },
});
check(missing.error, "a missing document is an error");

console.log(JSON.stringify({
  id,
  created: first.data.created,
  notModified,
  webhooks: hooks,
  schema: extraction.data.schema,
  reviewState: extraction.data.review.state,
  redactedEntities: redacted.data.entities.length,
  correctionStatus: correction.data.status,
  actions,
  chainOk: status.data.ok,
  missing: { status: missing.response.status, code: missing.error.error.code },
}));
