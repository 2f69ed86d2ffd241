#!/usr/bin/env node
// Signs the requests of tests/data/azure/sign-vectors.json with Microsoft's
// own Shared Key policy (@azure/storage-blob's storageSharedKeyCredentialPolicy,
// from @azure/storage-common), independently of our signer
// (src/backend/azure_sign.c), and compares with the "expect" of each vector:
// the values tests/unit/test_azure_sign.c holds our signer to.
//
//   node sign.js VECTORS.json           check: exit 1 on any difference
//   node sign.js VECTORS.json --write   fill in "expect" (after adding a vector)
//
// Needs the packages of tests/tools/azure/package.json (scripts/install-deps.sh
// --azurite installs them into .deps/azure; AZURE_NODE_MODULES points there).
"use strict";
const fs = require("fs");
const path = require("path");
const modules = process.env.AZURE_NODE_MODULES ||
  path.join(__dirname, "..", "..", "..", ".deps", "azure", "node_modules");
const req = (m) => require(path.join(modules, m));
const { storageSharedKeyCredentialPolicy } =
  req("@azure/storage-common/dist/commonjs/policies/StorageSharedKeyCredentialPolicyV2.js");
const { createPipelineRequest, createHttpHeaders } = req("@azure/core-rest-pipeline");

const file = process.argv[2];
const write = process.argv.includes("--write");
const v = JSON.parse(fs.readFileSync(file, "utf8"));

// The policy stamps x-ms-date with new Date(): pin it to the vectors' date.
const RealDate = Date;
const fixed = RealDate.parse(v.date);
global.Date = class extends RealDate {
  constructor(...a) { if (a.length) super(...a); else super(fixed); }
};

// RFC 3986: what src/backend/azure_http.c sends (tc_sigv4_uri_encode).
function enc(s, keepSlash) {
  let o = "";
  for (const b of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === "/")) o += c;
    else o += "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return o;
}

async function sign(r) {
  let url = "http://127.0.0.1:10000" + enc(r.path, true);
  const q = (r.query || []).map(([n, val]) => enc(n, false) + "=" + enc(val, false));
  if (q.length) url += "?" + q.join("&");
  const headers = createHttpHeaders();
  for (const [n, val] of Object.entries(r.headers || {})) headers.set(n, val);
  const request = createPipelineRequest({ url, method: r.method, headers });
  if (r.body_len) request.body = Buffer.alloc(r.body_len, 0x61);
  const policy = storageSharedKeyCredentialPolicy({
    accountName: v.account, accountKey: Buffer.from(v.key, "base64") });
  let auth;
  await policy.sendRequest(request, async (sent) => {
    if (sent.headers.get("x-ms-date") !== v.date)
      throw new Error("x-ms-date not pinned: " + sent.headers.get("x-ms-date"));
    auth = sent.headers.get("authorization");
    return { request: sent, status: 200, headers: createHttpHeaders() };
  });
  return auth;
}

(async () => {
  let bad = 0;
  for (const r of v.requests) {
    const got = await sign(r);
    if (write) r.expect = got;
    else if (got !== r.expect) { bad++; console.log(`MISMATCH ${r.name}: sdk ${got}, file ${r.expect}`); }
    else console.log(`ok ${r.name}`);
  }
  if (write) fs.writeFileSync(file, JSON.stringify(v, null, 2) + "\n");
  console.log(`${v.requests.length - bad} passed, ${bad} failed`);
  process.exit(bad ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(2); });
