// Flow JSON that runs on the installed Langflow 1.13.0 without a model: Chat Input -> Chat Output.
// The two nodes are copied from the "Basic Prompting" starter project that ships in the venv, so
// their templates match the installed components exactly.
import { readFileSync, readdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { langflowPython } from "./langflow.mjs";

function sitePackages() {
  const lib = join(dirname(dirname(langflowPython())), "lib");
  const python = readdirSync(lib).find((d) => d.startsWith("python3"));
  return join(lib, python, "site-packages");
}

/** A starter project of the installed Langflow, parsed. */
export function starterProject(name) {
  const file = join(sitePackages(), "langflow", "initial_setup", "starter_projects", `${name}.json`);
  return JSON.parse(readFileSync(file, "utf8"));
}

const handle = (obj) => JSON.stringify(obj).replaceAll('"', "\u0153").replaceAll(",", ", ").replaceAll(":", ": ");

/**
 * Body for POST /api/v1/flows/: Chat Input wired to Chat Output, so running it with
 * {"input_value": "hi"} answers "hi". `name` must be unique per user.
 */
export function chatEchoFlow(name) {
  const nodes = starterProject("Basic Prompting").data.nodes;
  const input = structuredClone(nodes.find((n) => n.data?.type === "ChatInput"));
  const output = structuredClone(nodes.find((n) => n.data?.type === "ChatOutput"));
  input.position = { x: 0, y: 0 };
  output.position = { x: 500, y: 0 };
  const sourceHandle = { dataType: "ChatInput", id: input.id, name: "message", output_types: ["Message"] };
  const targetHandle = {
    fieldName: "input_value",
    id: output.id,
    inputTypes: output.data.node.template.input_value.input_types,
    type: "str",
  };
  const edge = {
    id: `reactflow__edge-${input.id}${handle(sourceHandle).replaceAll(" ", "")}-${output.id}${handle(targetHandle).replaceAll(" ", "")}`,
    source: input.id,
    target: output.id,
    sourceHandle: handle(sourceHandle),
    targetHandle: handle(targetHandle),
    data: { sourceHandle, targetHandle },
    animated: false,
    className: "",
    selected: false,
  };
  return { name, description: "Chat Input -> Chat Output (no model)", data: { nodes: [input, output], edges: [edge], viewport: { x: 0, y: 0, zoom: 1 } } };
}
