import { describe, expect, it } from "@effect/vitest";
import * as fc from "fast-check";
import { emailDomain, MAX_EMAIL_LENGTH, normalizeEmail, parseEmail } from "./Email.ts";

const reject = (raw: string) => {
  const parsed = parseEmail(raw);
  expect(parsed.ok, `${JSON.stringify(raw)} should be rejected`).toBe(false);
  return parsed.ok ? "" : parsed.message;
};

describe("normalizeEmail / parseEmail", () => {
  it("trims and lower-cases: the same person however the address is typed", () => {
    expect(normalizeEmail(" Ann@Example.COM")).toBe("ann@example.com");
    expect(parseEmail(" Ann@Example.COM")).toEqual({ ok: true, email: "ann@example.com" });
    expect(parseEmail("\tBOB.Smith+tag@Sub.Example.io \n")).toEqual({
      ok: true,
      email: "bob.smith+tag@sub.example.io",
    });
  });

  it("accepts exactly 254 characters and refuses 255", () => {
    const domain = "@example.com";
    const at254 = `${"a".repeat(MAX_EMAIL_LENGTH - domain.length)}${domain}`;
    expect(at254).toHaveLength(254);
    expect(parseEmail(at254)).toEqual({ ok: true, email: at254 });
    expect(reject(`a${at254}`)).toMatch(/254/);
  });

  it("counts the length after trimming", () => {
    const domain = "@example.com";
    const at254 = `${"a".repeat(MAX_EMAIL_LENGTH - domain.length)}${domain}`;
    expect(parseEmail(`   ${at254}   `)).toEqual({ ok: true, email: at254 });
  });

  it("requires an address", () => {
    expect(reject("")).toBe("Email is required");
    expect(reject("   ")).toBe("Email is required");
  });

  it.each([
    "ann",
    "ann@",
    "@example.com",
    "ann@example",
    "ann@@example.com",
    "ann@bob@example.com",
    "ann@-example.com",
    "ann@example-.com",
    "ann@example..com",
    "ann@.example.com",
    "ann@exam_ple.com",
    "ann smith@example.com",
  ])("refuses the malformed address %j", (raw) => {
    expect(reject(raw)).toBe("Invalid email address");
  });

  it.each([
    "ann@example.com\r\nBcc: eve@evil.io",
    "ann@example.com\nbcc:eve@evil.io",
    "ann\r\n@example.com",
    "Ann <ann@example.com>",
    '"Ann" <ann@example.com>',
    "ann@example.com <eve@evil.io>",
    "<ann@example.com>",
    "ann@example.com, eve@evil.io",
    "ann@example.com;eve@evil.io",
    '"ann@x"@example.com',
    "ann(comment)@example.com",
    "ann\u0000@example.com",
    "ann\u007f@example.com",
    "ann@[127.0.0.1]",
    "mailto:ann@example.com",
    "ann\\@example.com",
  ])("refuses header and display-name tricks: %j", (raw) => {
    expect(reject(raw)).toBe("Invalid email address");
  });

  it("names the domain of an address", () => {
    expect(emailDomain("ann@sub.example.com")).toBe("sub.example.com");
  });

  it("anything it accepts is normalized, short enough, and free of separators and control characters", () => {
    const piece = fc.string({
      unit: fc.constantFrom(...'aZ9.+-_@ <>",;:\r\n\t()[]\\\u0000\u007f'.split("")),
      maxLength: 12,
    });
    const candidate = fc.oneof(
      fc.tuple(piece, piece, fc.constantFrom("io", "COM", "x-y.org")).map(([l, d, tld]) => `${l}@${d}.${tld}`),
      fc.string({ maxLength: 300 }),
    );
    fc.assert(
      fc.property(candidate, (raw) => {
        const parsed = parseEmail(raw);
        if (!parsed.ok) return;
        expect(parsed.email).toBe(raw.trim().toLowerCase());
        expect(parsed.email.length).toBeLessThanOrEqual(MAX_EMAIL_LENGTH);
        // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what must be absent
        expect(parsed.email).not.toMatch(/[\s<>",;:()[\]\\\u0000-\u001f\u007f]/);
        expect(parsed.email.split("@")).toHaveLength(2);
        // Idempotent: a stored address parses to itself.
        expect(parseEmail(parsed.email)).toEqual(parsed);
      }),
      { numRuns: 500 },
    );
  });
});
