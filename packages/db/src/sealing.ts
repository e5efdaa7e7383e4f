import { createCipheriv, createDecipheriv, createHash, createSecretKey } from "node:crypto";
import { randomFrom } from "./adapters/ids.ts";

/**
 * Seals accept tokens for the one reader that needs them in clear, the mail worker. The key comes
 * from configuration (`TOKEN_ENCRYPTION_KEY`), never from the database, so a copy of the database
 * alone reveals no usable token.
 */
export interface TokenSealer {
  seal(token: string): string;
  open(sealed: string): string;
}

export const makeTokenSealer = (secret: string): TokenSealer => {
  // A key object made once: given raw bytes, every cipher would make one of its own.
  const key = createSecretKey(createHash("sha256").update(`admit-token-seal:${secret}`).digest());
  return {
    seal: (token) => {
      const iv = randomFrom(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      const body = Buffer.concat([cipher.update(token, "utf8"), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
    },
    open: (sealed) => {
      const raw = Buffer.from(sealed, "base64url");
      const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
    },
  };
};
