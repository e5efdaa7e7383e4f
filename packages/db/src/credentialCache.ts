/**
 * A small in-process cache of credential lookups (API keys and user tokens, by secret hash), so
 * that authenticating a request costs no round trip, kept exact across processes with PostgreSQL
 * LISTEN/NOTIFY: triggers on `api_keys`, `user_tokens` and `users` notify `admit_credentials` in
 * the transaction that changes a credential, and every listening process drops the entry when the
 * transaction commits. While the listening connection is down (or not yet subscribed) the cache is
 * empty and bypassed, so a notification missed then cannot leave a revoked key usable.
 */
import pg from "pg";

export const CREDENTIALS_CHANNEL = "admit_credentials";

/** A notification's payload: `k:<hash>` (an API key), `t:<hash>` (a user token), `u:<user id>` (a user). */
type Payload = `k:${string}` | `t:${string}` | `u:${string}`;

interface Entry {
  readonly value: unknown;
  readonly userId: string | null;
  readonly storedAt: number;
}

export interface CredentialCache {
  /**
   * A cached lookup of `kind` for `hash`, or undefined. Call `begin()` before reading the
   * database and pass its ticket to `set`, so that a change notified meanwhile is not cached.
   */
  get<T>(kind: "k" | "t", hash: string): T | undefined;
  begin(): number;
  set(kind: "k" | "t", hash: string, value: unknown, ticket: number, userId?: string | null): void;
  /** Drops an entry at once in this process (the notification does it in the others). */
  forget(kind: "k" | "t", hash: string): void;
  /**
   * Settles once this process's listener has received the notification of `kind` for `hash`
   * (PostgreSQL sends it to every listener at once) after `since` (a `begin()` ticket taken before
   * the change), or after `timeoutMs` (5 s by default: a bound for a lost connection, far above
   * a loaded machine's delivery time), or at once when not subscribed. Called once the change has
   * committed, before the caller that made it is answered.
   */
  delivered(kind: "k" | "t", hash: string, since: number, timeoutMs?: number): Promise<void>;
  /** True while subscribed: entries are served only then. */
  readonly live: boolean;
  readonly size: number;
  close(): Promise<void>;
}

export interface CredentialCacheOptions {
  readonly databaseUrl: string;
  /** Most entries kept; the oldest go first. */
  readonly maxEntries?: number;
  /** Longest an entry is served, as a bound on anything a notification does not cover. */
  readonly maxAgeMs?: number;
  readonly log?: (line: string) => void;
}

/**
 * Starts listening (in the background: until subscribed every lookup goes to the database) and
 * answers the cache. On losing the connection it empties itself and reconnects with backoff.
 */
export const startCredentialCache = (options: CredentialCacheOptions): CredentialCache => {
  const maxEntries = options.maxEntries ?? 10_000;
  const maxAgeMs = options.maxAgeMs ?? 60_000;
  const entries = new Map<string, Entry>();
  let live = false;
  let closed = false;
  // Bumped by every notification and every loss or gain of the subscription: a lookup that began
  // under another generation may have read what a notification has since changed.
  let generation = 0;
  let client: pg.Client | null = null;
  let retryMs = 100;
  let timer: NodeJS.Timeout | undefined;

  const waiting = new Map<string, Set<() => void>>();
  /** The generation at which each recent payload arrived (the last thousand). */
  const recent = new Map<string, number>();
  const drop = (key: string) => {
    entries.delete(key);
  };
  const onNotification = (payload: string | undefined) => {
    generation++;
    if (payload !== undefined) {
      recent.delete(payload);
      recent.set(payload, generation);
      if (recent.size > 1_000) recent.delete(recent.keys().next().value as string);
    }
    const waiters = payload === undefined ? undefined : waiting.get(payload);
    if (waiters) for (const done of waiters) done();
    if (payload === undefined) return entries.clear();
    const kind = payload.slice(0, 2) as "k:" | "t:" | "u:";
    if (kind === "u:") {
      const userId = payload.slice(2);
      for (const [key, entry] of entries) if (entry.userId === userId) entries.delete(key);
    } else drop(payload as Payload);
  };
  const lose = (why: string) => {
    if (!live && client === null) return;
    live = false;
    generation++;
    entries.clear();
    const lost = client;
    client = null;
    lost?.removeAllListeners();
    lost?.on("error", () => {});
    void lost?.end().catch(() => {});
    if (!closed) {
      options.log?.(`credential cache bypassed: ${why}; resubscribing in ${retryMs} ms`);
      timer = setTimeout(() => void subscribe(), retryMs);
      retryMs = Math.min(retryMs * 2, 5_000);
    }
  };
  const subscribe = async () => {
    if (closed) return;
    const c = new pg.Client({
      connectionString: options.databaseUrl,
      application_name: "admit-credential-listener",
      keepAlive: true,
    });
    client = c;
    c.on("error", (error) => lose(error.message));
    c.on("end", () => lose("connection ended"));
    c.on("notification", (n) => {
      if (n.channel === CREDENTIALS_CHANNEL) onNotification(n.payload);
    });
    try {
      await c.connect();
      await c.query(`listen ${CREDENTIALS_CHANNEL}`);
    } catch (error) {
      if (client === c) lose(error instanceof Error ? error.message : String(error));
      return;
    }
    if (client !== c || closed) return;
    generation++;
    entries.clear();
    live = true;
    retryMs = 100;
  };
  void subscribe();

  return {
    get: <T>(kind: "k" | "t", hash: string) => {
      if (!live) return undefined;
      const key = `${kind}:${hash}`;
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      if (Date.now() - entry.storedAt > maxAgeMs) {
        entries.delete(key);
        return undefined;
      }
      return entry.value as T;
    },
    begin: () => generation,
    set: (kind, hash, value, ticket, userId = null) => {
      if (!live || ticket !== generation) return;
      const key = `${kind}:${hash}`;
      entries.delete(key);
      entries.set(key, { value, userId, storedAt: Date.now() });
      if (entries.size > maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
    },
    forget: (kind, hash) => {
      generation++;
      drop(`${kind}:${hash}`);
    },
    delivered: (kind, hash, since, timeoutMs = 5_000) => {
      const key = `${kind}:${hash}`;
      if (!live || (recent.get(key) ?? -1) > since) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const set = waiting.get(key) ?? new Set();
        waiting.set(key, set);
        const done = () => {
          clearTimeout(timeout);
          set.delete(done);
          if (set.size === 0) waiting.delete(key);
          resolve();
        };
        const timeout = setTimeout(done, timeoutMs);
        set.add(done);
      });
    },
    get live() {
      return live;
    },
    get size() {
      return entries.size;
    },
    close: async () => {
      closed = true;
      live = false;
      clearTimeout(timer);
      entries.clear();
      const c = client;
      client = null;
      c?.removeAllListeners();
      c?.on("error", () => {});
      await c?.end().catch(() => {});
    },
  };
};
