import { SUPPORTED_LOCALES } from "@admit/domain";
import { IntlMessageFormat } from "intl-messageformat";
import { describe, expect, it } from "vitest";
import { brandColors, catalogue, chooseLocale, contrast, LOCALES, parseAcceptLanguage, translator } from "./index.ts";

/** The argument names a message uses, found in its parsed ICU syntax tree. */
const argumentsOf = (message: string, locale: string): string[] => {
  const names = new Set<string>();
  const walk = (nodes: ReadonlyArray<any>) => {
    for (const node of nodes) {
      if (typeof node.value === "string" && node.type !== 0) names.add(node.value);
      for (const option of Object.values(node.options ?? {}) as Array<{ value: unknown[] }>) walk(option.value);
    }
  };
  walk(new IntlMessageFormat(message, locale).getAst());
  return [...names].sort();
};

describe("the catalogue", () => {
  it("has exactly the languages the domain accepts", () => {
    expect([...LOCALES].sort()).toEqual([...SUPPORTED_LOCALES].sort());
  });

  it("gives every message the same arguments in every language", () => {
    expect(argumentsOf(catalogue.en["page.link.expires"], "en")).toEqual(["date", "relative"]);
    expect(argumentsOf(catalogue.de["place.manyAt"], "de")).toEqual(["count", "org"]);
    for (const [id, english] of Object.entries(catalogue.en)) {
      const expected = argumentsOf(english, "en");
      for (const locale of LOCALES) {
        const message = catalogue[locale][id as keyof typeof catalogue.en];
        expect(argumentsOf(message, locale), `${locale} ${id}`).toEqual(expected);
      }
    }
  });

  it("formats plurals by each language's rules", () => {
    expect(translator("en").t("place.many", { count: 1 })).toBe("1 place");
    expect(translator("en").t("place.many", { count: 3 })).toBe("3 places");
    expect(translator("fr").t("place.many", { count: 0 })).toBe("0 espace");
    expect(translator("de").t("page.link.uses", { count: 0 })).toBe("Keine Verwendungen mehr");
    expect(translator("de").t("page.link.uses", { count: 2 })).toBe("Noch 2 Verwendungen");
  });

  it("formats dates and lists with Intl, one date format per language", () => {
    const at = new Date("2026-12-09T15:30:00Z");
    expect(translator("en").date(at)).toBe("December 9, 2026 at 3:30 PM UTC");
    expect(translator("fr").date(new Date("2026-12-09T09:05:00Z"))).toBe("9 décembre 2026 à 09:05 UTC");
    expect(translator("fr").date(at)).toBe("9 décembre 2026 à 15:30 UTC");
    expect(translator("de").date(at)).toBe("9. Dezember 2026 um 15:30 UTC");
    expect(translator("fr").list(["Blog", "Shop", "Docs"])).toBe("Blog, Shop et Docs");
    expect(translator("en").relative(new Date(at.getTime() + 3 * 86_400_000), at)).toBe("in 3 days");
  });
});

describe("choosing the language", () => {
  it("takes the invite's, else the organization's, else the browser's best supported, else English", () => {
    expect(chooseLocale(["fr", "de"], "de")).toBe("fr");
    expect(chooseLocale([null, "de"], "fr")).toBe("de");
    expect(chooseLocale([null, undefined], "it-IT, fr-CA;q=0.8, de;q=0.9")).toBe("de");
    expect(chooseLocale([], "*")).toBe("en");
    expect(chooseLocale(["xx"], "garbage;q=abc")).toBe("en");
  });

  it("reads Accept-Language quality values", () => {
    expect(parseAcceptLanguage("da, en-GB;q=0.8, en;q=0.7, fr;q=0")).toEqual(["da", "en-GB", "en"]);
  });
});

describe("brand colours", () => {
  it("keep the button text legible on any colour", () => {
    expect(brandColors("#0f766e")).toEqual({
      accent: "#0f766e",
      onAccent: "#ffffff",
      link: "#0f766e",
      edge: "#0f766e",
    });
    expect(brandColors("#FDE047")).toEqual({
      accent: "#fde047",
      onAccent: "#111827",
      link: "#1d4ed8",
      edge: "#6b7280",
    });
    // Mid-greys, where near-black falls below 4.5:1 too.
    expect(brandColors("#777777").onAccent).toBe("#000000");
    for (let v = 0; v < 256; v += 3) {
      for (const hex of [v * 0x10101, v * 0x10000, v * 0x100, v, v * 0x10100, 0xff00ff - v * 0x100]) {
        const { accent, onAccent, link, edge } = brandColors(`#${hex.toString(16).padStart(6, "0")}`);
        expect(contrast(accent, onAccent)).toBeGreaterThanOrEqual(4.5);
        expect(contrast(edge, "#ffffff")).toBeGreaterThanOrEqual(3);
        expect(contrast(link, "#ffffff")).toBeGreaterThanOrEqual(4.5);
      }
    }
    expect(brandColors("javascript:x").accent).toMatch(/^#[0-9a-f]{6}$/);
  });
});
