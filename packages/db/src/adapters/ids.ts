import { createHash, randomFillSync } from "node:crypto";
import { IdGenerator, TokenGenerator } from "@admit/domain";
import { Effect, Layer } from "effect";

/**
 * Random bytes drawn in blocks: one `randomFillSync` (a system call) per 4 KiB instead of one per
 * id, token or IV. Each byte is handed out once.
 */
const RANDOM_BLOCK = 4096;
const random = Buffer.alloc(RANDOM_BLOCK);
let randomOffset = RANDOM_BLOCK;

/** `n` (at most 4096) fresh random bytes from the CSPRNG, copied out of the current block. */
export const randomFrom = (n: number): Buffer => {
  if (n > RANDOM_BLOCK) throw new RangeError(`at most ${RANDOM_BLOCK} random bytes at once`);
  if (randomOffset + n > RANDOM_BLOCK) {
    randomFillSync(random);
    randomOffset = 0;
  }
  const bytes = Buffer.allocUnsafe(n);
  random.copy(bytes, 0, randomOffset, randomOffset + n);
  random.fill(0, randomOffset, randomOffset + n);
  randomOffset += n;
  return bytes;
};

/** UUIDv7: time-ordered, so new rows land at the end of their indexes. */
export const uuidv7 = (): string => {
  const bytes = randomFrom(16);
  // 48 bits of milliseconds, big-endian: the high 16 bits, then the low 32.
  const ms = Date.now();
  bytes.writeUInt16BE(Math.floor(ms / 2 ** 32) & 0xffff, 0);
  bytes.writeUInt32BE(ms >>> 0, 2);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};

export const IdGeneratorCrypto = Layer.succeed(IdGenerator, IdGenerator.of({ next: Effect.sync(uuidv7) }));

export const sha256Hex = (value: string): string => createHash("sha256").update(value, "utf8").digest("hex");

/** Secrets carry 256 random bits; only their SHA-256 is ever stored. */
export const TokenGeneratorCrypto = Layer.succeed(
  TokenGenerator,
  TokenGenerator.of({
    next: (prefix) =>
      Effect.sync(() => {
        const token = `${prefix}_${randomFrom(32).toString("base64url")}`;
        return { token, hash: sha256Hex(token) };
      }),
    hash: sha256Hex,
  }),
);
