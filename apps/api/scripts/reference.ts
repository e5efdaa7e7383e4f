/**
 * Writes docs/reference.md: every procedure of the router with who may call it, its input (from
 * the zod schema the procedure validates with), its output (the type `@admit/client` publishes,
 * read from the client's built declarations) and its errors (every reason the sources can raise,
 * with its code and HTTP status). `--check` writes nothing and fails when the file differs.
 *
 * Run as `pnpm docs:reference` from the repository root, which builds the client first.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import type { Reason } from "@admit/domain";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { z } from "zod";
import { EDGE_REASONS, REASON_CODES, REASON_MESSAGES } from "../src/errors.ts";
import type { ProcedureMeta } from "../src/meta.ts";
import { appRouter } from "../src/router.ts";

const root = resolve(import.meta.dirname, "../../..");
const target = join(root, "docs/reference.md");
const declarations = join(root, "packages/client/dist/index.d.mts");

type Json = Record<string, any>;
interface Procedure {
  readonly path: string;
  readonly type: "query" | "mutation";
  readonly access: NonNullable<ProcedureMeta["access"]>;
  readonly input: z.ZodType | undefined;
}

const procedures: Procedure[] = Object.entries(appRouter._def.procedures as Record<string, any>).map(([path, p]) => {
  const def = p._def;
  if (!def.meta?.access) throw new Error(`${path}: built without publicProcedure/principalProcedure/keyProcedure`);
  return { path, type: def.type, access: def.meta.access, input: def.inputs?.[0] };
});

// ---- outputs: the published declaration, procedure by procedure -------------------------------

/** The text from `open` (an opening bracket) to its matching close. */
const balanced = (text: string, open: number): string => {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === "{" || c === "<" || c === "(" || c === "[") depth++;
    else if ((c === "}" || c === ">" || c === ")" || c === "]") && text[i - 1] !== "=") depth--;
    if (depth === 0) return text.slice(open, i + 1);
  }
  throw new Error("unbalanced declaration");
};

/** The value of `key:` at depth 0 of an object type's body, up to its `;`. */
const member = (body: string, key: string): string | undefined => {
  let depth = 0;
  for (let i = 1; i < body.length - 1; i++) {
    const c = body[i];
    if (c === "{" || c === "<" || c === "(" || c === "[") depth++;
    else if ((c === "}" || c === ">" || c === ")" || c === "]") && body[i - 1] !== "=") depth--;
    else if (depth === 0 && body.startsWith(`${key}:`, i) && /[\s{;]/.test(body[i - 1] ?? " ")) {
      let d = 0;
      const start = i + key.length + 1;
      for (let j = start; j < body.length; j++) {
        const k = body[j];
        if (k === "{" || k === "<" || k === "(" || k === "[") d++;
        else if ((k === "}" || k === ">" || k === ")" || k === "]") && body[j - 1] !== "=") d--;
        if (d === 0 && k === ";") return body.slice(start, j).trim();
        if (d < 0) return body.slice(start, j).trim();
      }
    }
  }
  return undefined;
};

const dts = readFileSync(declarations, "utf8");
const routerStart = dts.indexOf("declare const appRouter:");
if (routerStart < 0) throw new Error(`no appRouter in ${declarations}: build @admit/client first`);
const routerText = dts.slice(routerStart, dts.indexOf("type AppRouter", routerStart));
const outputs: string[] = [];
for (const match of routerText.matchAll(/(\w+): import\("@trpc\/server"\)\.TRPC(Query|Mutation)Procedure<\{/g)) {
  const body = balanced(routerText, (match.index ?? 0) + match[0].length - 1);
  const output = member(body, "output");
  if (output === undefined) throw new Error(`no output for ${match[1]}`);
  outputs.push(`${match[1]}\u0000${output}`);
}
if (outputs.length !== procedures.length) {
  throw new Error(
    `${outputs.length} procedures in the declarations, ${procedures.length} in the router: rebuild @admit/client`,
  );
}
const outputOf = new Map<string, string>();
procedures.forEach((p, i) => {
  const [name, type] = (outputs[i] as string).split("\u0000") as [string, string];
  if (!p.path.endsWith(`.${name}`)) throw new Error(`declarations out of order at ${p.path}: rebuild @admit/client`);
  outputOf.set(p.path, type);
});

/** Re-indents a type's text so that its closing line starts at column 0. */
const pretty = (type: string): string => {
  const lines = type.split("\n");
  const indentOf = (l: string) => l.match(/^ */)?.[0].length ?? 0;
  const base = lines.length > 1 ? indentOf(lines[lines.length - 1] as string) : 0;
  return lines
    .map((l, i) => (i === 0 ? l : `${" ".repeat(Math.max(0, indentOf(l) - base))}${l.trimStart()}`))
    .join("\n")
    .replace(/import\("@trpc\/server"\)\./g, "");
};

/** Named types an output refers to, with their declarations, transitively. */
const namedTypes = new Map<string, string>();
/** From `start` to the first `;` outside brackets, inclusive. */
const statement = (text: string, start: number): string => {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === "{" || c === "<" || c === "(" || c === "[") depth++;
    else if ((c === "}" || c === ">" || c === ")" || c === "]") && text[i - 1] !== "=") depth--;
    else if (c === ";" && depth === 0) return text.slice(start, i + 1);
  }
  throw new Error("unterminated declaration");
};
const declarationOf = (name: string): string | undefined => {
  const re = new RegExp(`^(?:export )?(?:interface ${name}\\b|type ${name}\\b|declare const ${name}:)`, "m");
  const m = re.exec(dts);
  if (!m) return undefined;
  const text = m[0].includes("interface")
    ? `${dts.slice(m.index, dts.indexOf("{", m.index))}${balanced(dts, dts.indexOf("{", m.index))}`
    : statement(dts, m.index);
  return text.replace(/^export /, "");
};
const collect = (text: string) => {
  for (const [, name] of text.matchAll(/\b([A-Z][A-Za-z_]+)\b/g)) {
    if (!name || namedTypes.has(name) || ["Readonly", "Record", "ReadonlyArray", "Array", "Date"].includes(name))
      continue;
    const declaration = declarationOf(name);
    if (!declaration) continue;
    namedTypes.set(name, declaration);
    collect(declaration);
  }
};
for (const type of outputOf.values()) collect(type);

// ---- inputs: the zod schemas as JSON Schema ------------------------------------------------------

const typeOf = (s: Json): string => {
  if (s.enum) return s.enum.map((v: unknown) => JSON.stringify(v)).join(" \\| ");
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.anyOf) return s.anyOf.map(typeOf).join(" \\| ");
  if (s.type === "array") return `${s.items ? typeOf(s.items) : "unknown"}[]`;
  if (s.type === "string" && s.format === "uuid") return "string (UUID)";
  if (s.type === "string" && s.format) return `string (${s.format})`;
  if (s.type === "integer") return "integer";
  return s.type ?? "any";
};

const rules = (s: Json): string[] => {
  const out: string[] = [];
  const all = [s, ...(s.anyOf ?? [])];
  for (const x of all) {
    if (x.minLength !== undefined) out.push(`at least ${x.minLength} characters`);
    if (x.maxLength !== undefined) out.push(`at most ${x.maxLength} characters`);
    if (x.minimum !== undefined) out.push(`≥ ${x.minimum}`);
    if (x.maximum !== undefined) out.push(`≤ ${x.maximum}`);
    if (x.minItems !== undefined) out.push(`at least ${x.minItems} item${x.minItems === 1 ? "" : "s"}`);
    if (x.maxItems !== undefined) out.push(`at most ${x.maxItems} item${x.maxItems === 1 ? "" : "s"}`);
    if (x.pattern !== undefined && x.format !== "uuid") out.push(`matches \`${x.pattern}\``);
    if (x.items) out.push(...rules(x.items).map((r) => `each ${r}`));
  }
  return [...new Set(out)];
};

const inputSection = (p: Procedure): string => {
  if (!p.input) return "No input.\n";
  const schema = z.toJSONSchema(p.input, { io: "input", unrepresentable: "any", target: "draft-2020-12" }) as Json;
  const properties: Json = schema.properties ?? {};
  const required = new Set<string>(schema.required ?? []);
  const rows = Object.entries(properties).map(([name, s]: [string, Json]) => {
    const defaulted = s.default !== undefined ? `\`${JSON.stringify(s.default)}\`` : "";
    return `| \`${name}\` | ${typeOf(s)} | ${required.has(name) ? "yes" : "no"} | ${defaulted} | ${rules(s).join("; ")} |`;
  });
  const whole = schema.default !== undefined ? " The whole input may be omitted." : "";
  return [
    `Unknown fields are refused.${whole}`,
    "",
    "| field | type | required | default | rules |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
    "",
  ].join("\n");
};

// ---- errors: the reason catalogue, and the HTTP layer's own reasons -----------------------------

const httpStatus = (code: TRPCError["code"]) => getHTTPStatusCodeFromError(new TRPCError({ code }));
const reasons = new Map<string, { code: TRPCError["code"]; message: string }>(
  (Object.keys(REASON_CODES) as Reason[]).map((r) => [r, { code: REASON_CODES[r], message: REASON_MESSAGES[r] }]),
);
// Reasons answered before any procedure runs (routing, body parsing, size, outages).
for (const [reason, { code, message }] of Object.entries(EDGE_REASONS)) {
  if (!reasons.has(reason)) reasons.set(reason, { code: code as TRPCError["code"], message });
}

const ACCESS: Record<Procedure["access"], { who: string; errors: string }> = {
  public: { who: "anyone: no credentials (the secret is in the input)", errors: "" },
  principal: {
    who: "an API key (global or organization), the root key, or a user token, within what it may reach",
    errors: "`missing_credentials`, `invalid_credentials` (401)",
  },
  key: {
    who: "an API key (global or organization) or the root key; user tokens are refused",
    errors: "`missing_credentials`, `invalid_credentials` (401), `api_key_required` (403)",
  },
};

// ---- the document -------------------------------------------------------------------------------

const anchor = (path: string) => path.replace(".", "").toLowerCase();
const groups = [...new Set(procedures.map((p) => p.path.split(".")[0] as string))];
const out: string[] = [
  "# API reference",
  "",
  "<!-- Generated by `pnpm docs:reference` from the router, its zod input schemas and the types",
  "     `@admit/client` publishes. Do not edit: CI regenerates it and fails on any difference. -->",
  "",
  "Every procedure of the tRPC API at `/trpc`. A query is `GET /trpc/<name>?input=<url-encoded JSON>`,",
  "a mutation `POST /trpc/<name>` with a JSON body; with `@admit/client` they are",
  "`client.<name>.query(input)` and `client.<name>.mutate(input)`. Credentials go in",
  "`Authorization: Bearer <secret>`. Answers are plain JSON (no transformer): dates are ISO-8601",
  "strings. The REST endpoints for external integrations are described by `GET /openapi.json`.",
  "",
  "Every error answers `data.code` (tRPC code), `data.httpStatus`, `data.reason` (stable,",
  "snake_case: see [Errors](#errors)) and, for `invalid_input`, `data.fieldErrors`",
  '(`{ "email": ["Invalid email address"] }`). An invalid input writes nothing.',
  "",
  ...groups.flatMap((g) => [
    `- **${g}**: ${procedures
      .filter((p) => p.path.startsWith(`${g}.`))
      .map((p) => `[${p.path.slice(g.length + 1)}](#${anchor(p.path)})`)
      .join(", ")}`,
  ]),
  "",
];
for (const group of groups) {
  out.push(`## ${group}`, "");
  for (const p of procedures.filter((x) => x.path.startsWith(`${group}.`))) {
    const access = ACCESS[p.access];
    out.push(
      `### ${p.path}`,
      "",
      `${p.type === "query" ? "Query" : "Mutation"}. **Who may call it:** ${access.who}.`,
      "",
      "**Input**",
      "",
      inputSection(p),
      "**Output**",
      "",
      "```ts",
      pretty(outputOf.get(p.path) as string),
      "```",
      "",
      `**Errors:** ${[p.input ? "`invalid_input` (400, with `fieldErrors`)" : "", access.errors]
        .filter(Boolean)
        .join("; ")}; and the rule's own reasons among [Errors](#errors).`,
      "",
    );
  }
}
out.push(
  "## Types",
  "",
  "The named types the outputs use, as `@admit/client` declares them.",
  "",
  "```ts",
  ...[...namedTypes.values()].map((d) => `${pretty(d)}\n`),
  "```",
  "",
  "## Errors",
  "",
  "Every `reason`: the domain's catalogue (`REASONS`) and the edge's own (`EDGE_REASONS`), with the tRPC code,",
  "the HTTP status and the `message` that comes with it. REST endpoints answer the same in",
  "`error.reason`.",
  "",
  "| reason | code | HTTP | message |",
  "| --- | --- | --- | --- |",
  ...[...reasons.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([reason, { code, message }]) =>
        `| \`${reason}\` | ${code} | ${httpStatus(code)} | ${message
          .replaceAll("|", "\\|")
          .replaceAll("<", "&lt;")
          .replace(/\$\{[^}]*\}/g, "…")} |`,
    ),
  "",
);
// In the form the repository's formatter (Biome, which formats Markdown) keeps, so that lint and
// the drift check agree.
const text = execFileSync(join(root, "node_modules/.bin/biome"), ["format", `--stdin-file-path=${target}`], {
  input: out.join("\n"),
  encoding: "utf8",
  cwd: root,
});

if (process.argv.includes("--check")) {
  const current = readFileSync(target, "utf8").toString();
  if (current !== text) {
    console.error(`${relative(root, target)} is out of date: run \`pnpm docs:reference\` and commit it.`);
    const fresh = join(tmpdir(), "admit-reference.md");
    writeFileSync(fresh, text);
    console.error(`(the regenerated version is ${fresh}; diff it against the committed one to see what changed)`);
    process.exit(1);
  }
  console.log(`${relative(root, target)} is up to date (${procedures.length} procedures)`);
} else {
  writeFileSync(target, text);
  console.log(`wrote ${relative(root, target)}: ${procedures.length} procedures, ${reasons.size} reasons`);
}
