/** The colour of buttons and accents when an organization has chosen none. */
export const DEFAULT_COLOR = "#2454d6";

const channel = (v: number) => {
  const c = v / 255;
  return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
};

/** WCAG relative luminance of `#rrggbb`. */
export const luminance = (hex: string): number => {
  const n = Number.parseInt(hex.slice(1), 16);
  return 0.2126 * channel((n >> 16) & 255) + 0.7152 * channel((n >> 8) & 255) + 0.0722 * channel(n & 255);
};

export const contrast = (a: string, b: string): number => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
};

/**
 * A brand colour made safe to use: `#rrggbb` or the default. With it, the text colour that reads
 * on it: white, else near-black, else black (on mid-tones such as the greys #777777 to #808080
 * neither white nor near-black reaches 4.5:1; black always does where white does not), so that
 * any colour an organization picks keeps its button legible. And the colour of links and focus
 * rings on white: the accent when it reads there (4.5:1), else a dark blue that does. And the
 * button's edge: the accent itself, or a grey where the accent is too close to white to show
 * where the button is (below WCAG's 3:1 for a component's boundary).
 */
export const brandColors = (
  color: string | null | undefined,
): { accent: string; onAccent: string; link: string; edge: string } => {
  const accent = color && /^#[0-9a-f]{6}$/i.test(color) ? color.toLowerCase() : DEFAULT_COLOR;
  const onWhite = contrast(accent, "#ffffff") >= 4.5;
  const onAccent = onWhite ? "#ffffff" : contrast(accent, "#111827") >= 4.5 ? "#111827" : "#000000";
  const edge = contrast(accent, "#ffffff") >= 3 ? accent : "#6b7280";
  return { accent, onAccent, link: onWhite ? accent : "#1d4ed8", edge };
};
