#!/usr/bin/env node
// Validates rendered Kubernetes objects against the API's schemas: the
// kubernetes-models package (the Kubernetes OpenAPI schemas, compiled) and
// @kubernetes-models/keda (KEDA's CRDs). Stricter than the models alone:
// a field the schema does not define (a typo such as `livenesProbe`, which
// the API server drops or refuses) is an error too.
//
// usage: NODE_PATH=<node_modules> node validate.js OBJECTS.json...
// OBJECTS.json: a JSON array of objects (k8s_manifests.sh converts the
// rendered YAML). Prints one line per problem and a summary, each starting
// with the file's name when there are several; exits 1 if any has a problem.
"use strict";
const fs = require("fs");

// apiVersion -> [package, module directory]
function modulePath(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "keda.sh") return `@kubernetes-models/keda/keda.sh/${version}/${kind}`;
  return group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`;
}

// Wraps a value so that reads of its properties are recorded: the compiled
// validator reads exactly the properties its schema defines, and enumerates
// the keys of maps (additionalProperties). A key of an object the validator
// looked into that it never read is a field the schema lacks.
function track(value, path, records) {
  if (value === null || typeof value !== "object") return value;
  const isArray = Array.isArray(value);
  const target = isArray
    ? value.map((v, i) => track(v, `${path}/${i}`, records))
    : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, track(v, `${path}/${k}`, records)]));
  const rec = { path, target, isArray, read: new Set(), enumerated: false };
  records.push(rec);
  return new Proxy(target, {
    get(t, k, r) {
      if (typeof k === "string") rec.read.add(k);
      return Reflect.get(t, k, r);
    },
    has(t, k) {
      if (typeof k === "string") rec.read.add(k);
      return Reflect.has(t, k);
    },
    ownKeys(t) {
      rec.enumerated = true;
      return Reflect.ownKeys(t);
    },
  });
}

function validateFile(path) {
  const objects = JSON.parse(fs.readFileSync(path, "utf8"));
  const problems = [];
  const kinds = {};
  for (const obj of objects) {
    const name = `${obj.kind || "?"} ${(obj.metadata || {}).name || "?"}`;
    if (!obj.apiVersion || !obj.kind) {
      problems.push(`${name}: no apiVersion or kind`);
      continue;
    }
    let Model;
    try {
      Model = require(modulePath(obj.apiVersion, obj.kind))[obj.kind];
    } catch (e) {
      Model = undefined;
    }
    if (typeof Model !== "function") {
      problems.push(`${name}: no schema for ${obj.apiVersion} ${obj.kind}`);
      continue;
    }
    const records = [];
    const tracked = track(obj, "", records);
    try {
      Model.prototype.validate.call(tracked);
    } catch (e) {
      for (const line of String(e.message).split("\n")) problems.push(`${name}: ${line}`);
      continue; // a failed validation stops early: its reads say nothing
    }
    for (const rec of records) {
      if (rec.isArray || rec.enumerated || rec.read.size === 0) continue;
      for (const k of Object.keys(rec.target)) {
        if (!rec.read.has(k)) problems.push(`${name}: ${rec.path}/${k}: unknown field`);
      }
    }
    kinds[obj.kind] = (kinds[obj.kind] || 0) + 1;
  }
  const summary = Object.entries(kinds).sort().map(([k, n]) => `${n} ${k}`).join(", ");
  return { problems, summary: `validate: ${objects.length} objects (${summary}), ${problems.length} problems` };
}

function main() {
  const files = process.argv.slice(2);
  let failed = 0;
  for (const path of files) {
    const prefix = files.length > 1 ? `${path}: ` : "";
    const { problems, summary } = validateFile(path);
    for (const p of problems) console.log(prefix + p);
    console.log(prefix + summary);
    if (problems.length) failed++;
  }
  process.exit(failed ? 1 : 0);
}

main();
