#!/usr/bin/env node
// Drops the wasm `name` and `producers` custom sections (function names kept for debugging):
// a quarter of the gzipped size, and never read in production. `target_features` goes too: only
// toolchains read it (wasm-bindgen has already run), never the runtime. Usage: strip-wasm-names.mjs FILE
import { readFileSync, writeFileSync } from "node:fs";

const file = process.argv[2];
const data = readFileSync(file);
if (data.readUInt32BE(0) !== 0x0061736d) throw new Error(`${file} is not a wasm module`);

function leb(offset) {
  let value = 0, shift = 0, byte;
  do { byte = data[offset++]; value += (byte & 0x7f) * 2 ** shift; shift += 7; } while (byte & 0x80);
  return [value, offset];
}

const kept = [data.subarray(0, 8)];
let offset = 8;
while (offset < data.length) {
  const start = offset;
  const id = data[offset++];
  const [size, body] = leb(offset);
  const end = body + size;
  let drop = false;
  if (id === 0) {
    const [nameLength, nameStart] = leb(body);
    const name = data.subarray(nameStart, nameStart + nameLength).toString();
    drop = name === "name" || name === "producers" || name === "target_features";
  }
  if (!drop) kept.push(data.subarray(start, end));
  offset = end;
}
writeFileSync(file, Buffer.concat(kept));
