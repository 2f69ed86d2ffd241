#!/usr/bin/env node
// What the azure integration tests ask of the container, through Microsoft's
// own client (@azure/storage-blob), so their checks do not rest on our backend.
//
//   node blob.js create|drop CONTAINER
//   node blob.js ls CONTAINER PREFIX        committed blob names, one a line
//   node blob.js get CONTAINER NAME FILE
//
// The service: http://$TC_AZURE_ENDPOINT/$TC_AZURE_ACCOUNT with $TC_AZURE_KEY
// (Azurite's account, from the ctest fixture); the packages from
// $AZURE_NODE_MODULES (scripts/install-deps.sh --azurite).
"use strict";
const path = require("path");
const modules = process.env.AZURE_NODE_MODULES ||
  path.join(__dirname, "..", "..", "..", ".deps", "azure", "node_modules");
const { BlobServiceClient, StorageSharedKeyCredential } =
  require(path.join(modules, "@azure/storage-blob"));

const account = process.env.TC_AZURE_ACCOUNT || "devstoreaccount1";
const svc = new BlobServiceClient(`http://${process.env.TC_AZURE_ENDPOINT}/${account}`,
  new StorageSharedKeyCredential(account, process.env.TC_AZURE_KEY));
const [cmd, container, arg, file] = process.argv.slice(2);
const c = svc.getContainerClient(container);

(async () => {
  switch (cmd) {
    case "create": await c.create(); break;
    case "drop": await c.deleteIfExists(); break;
    case "ls":
      for await (const b of c.listBlobsFlat({ prefix: arg || "" })) console.log(b.name);
      break;
    case "get": await c.getBlobClient(arg).downloadToFile(file); break;
    default: throw new Error("usage: blob.js create|drop|ls|get CONTAINER [ARG] [FILE]");
  }
})().catch((e) => { console.error(`blob.js ${cmd}: ${e.code || ""} ${e.message}`); process.exit(1); });
