// C0 and C1 controls (CR and LF among them), DEL, the Unicode line and paragraph separators, and
// the invisible format characters (zero-width, bidirectional overrides) that can disguise text.
const UNSAFE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what it removes.
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;

/**
 * Text from the database made safe for one line of an email (a subject, a list item): every
 * control or invisible character becomes a space, runs of spaces become one, and the result is
 * cut to `max` characters. A name can then neither start a new header nor hide what it says.
 */
export const plain = (value: string, max: number): string => {
  const chars = Array.from(value.replace(UNSAFE, " ").replace(/\s+/g, " ").trim());
  return chars.length > max
    ? `${chars
        .slice(0, max - 1)
        .join("")
        .trimEnd()}…`
    : chars.join("");
};

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
