/**
 * A small in-process cache of credential lookups (API keys and user tokens, by secret hash), so
 * that authenticating a request costs no round trip, kept exact across processes with PostgreSQL
 * LISTEN/NOTIFY: triggers on `api_keys`, `user_tokens` and `users` notify `admit_credentials` in
 * the transaction that changes a credential, and every listening process drops the entry when the
 * transaction commits. While the listening connection is down (or not yet subscribed) the cache is
 * empty and bypassed, so a notification missed then cannot leave a revoked key usable.
 *
 * A revocation is answered only once every listening process has dropped the key: each listener
 * acknowledges an API key's notification on `admit_credentials_ack` (`<payload>|<its backend
 * pid>`), and the revoking process waits for the acknowledgement of every listener PostgreSQL
 * knows of. PostgreSQL hands a notification to each listening backend on its own schedule, so
 * hearing it in one's own process says nothing of the others.
 */
import pg from "pg";

export const CREDENTIALS_CHANNEL = "admit_credentials";
/** Where listeners acknowledge the API key notifications they have acted on. */
export const CREDENTIALS_ACK_CHANNEL = "admit_credentials_ack";
const LISTENER_NAME = "admit-credential-listener";

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
   * Settles once every listening process (this one included) has acknowledged the notification of
   * the API key `hash` after `since` (a `begin()` ticket taken before the change), or after
   * `timeoutMs` (5 s by default: a bound for a process that died or lost its connection meanwhile,
   * far above a loaded machine's delivery time), or at once when not subscribed. Called once the
   * change has committed, before the caller that made it is answered.
   */
  delivered(kind: "k", hash: string, since: number, timeoutMs?: number): Promise<void>;
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
  /** Per recent API key payload (the last thousand): the generation each listener acknowledged it at. */
  const acks = new Map<string, Map<number, number>>();
  const drop = (key: string) => {
    entries.delete(key);
  };
  const onAck = (ack: string | undefined) => {
    const at = ack?.lastIndexOf("|") ?? -1;
    if (ack === undefined || at < 0) return;
    const payload = ack.slice(0, at);
    const pid = Number(ack.slice(at + 1));
    const byPid = acks.get(payload) ?? new Map<number, number>();
    acks.delete(payload);
    acks.set(payload, byPid);
    if (acks.size > 1_000) acks.delete(acks.keys().next().value as string);
    // Its own generation, so that an acknowledgement is always later than any ticket taken before.
    byPid.set(pid, ++generation);
    const waiters = waiting.get(payload);
    if (waiters) for (const check of [...waiters]) check();
  };
  const onNotification = (c: pg.Client, payload: string | undefined) => {
    generation++;
    if (payload === undefined) return entries.clear();
    const kind = payload.slice(0, 2) as "k:" | "t:" | "u:";
    if (kind === "u:") {
      const userId = payload.slice(2);
      for (const [key, entry] of entries) if (entry.userId === userId) entries.delete(key);
    } else drop(payload as Payload);
    // Acknowledged once dropped; a lost acknowledgement only makes the revoker wait its bound.
    if (kind === "k:")
      void c
        .query("select pg_notify($1, $2 || '|' || pg_backend_pid())", [CREDENTIALS_ACK_CHANNEL, payload])
        .catch(() => {});
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
      application_name: LISTENER_NAME,
      keepAlive: true,
    });
    client = c;
    c.on("error", (error) => lose(error.message));
    c.on("end", () => lose("connection ended"));
    c.on("notification", (n) => {
      if (n.channel === CREDENTIALS_CHANNEL) onNotification(c, n.payload);
      else if (n.channel === CREDENTIALS_ACK_CHANNEL) onAck(n.payload);
    });
    try {
      await c.connect();
      await c.query(`listen ${CREDENTIALS_CHANNEL}; listen ${CREDENTIALS_ACK_CHANNEL}`);
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
    delivered: async (kind, hash, since, timeoutMs = 5_000) => {
      const c = client;
      if (!live || c === null) return;
      const key = `${kind}:${hash}`;
      const deadline = Date.now() + timeoutMs;
      // Every process listening now; one that subscribes later starts with an empty cache.
      const listeners = await c
        .query<{ pid: number }>(
          "select pid from pg_stat_activity where application_name = $1 and datname = current_database()",
          [LISTENER_NAME],
        )
        .then((r) => r.rows.map((row) => row.pid))
        .catch(() => null);
      if (listeners === null) return;
      const allAcknowledged = () => listeners.every((pid) => (acks.get(key)?.get(pid) ?? -1) > since);
      if (allAcknowledged()) return;
      await new Promise<void>((resolve) => {
        const set = waiting.get(key) ?? new Set();
        waiting.set(key, set);
        const done = () => {
          clearTimeout(timeout);
          set.delete(check);
          if (set.size === 0) waiting.delete(key);
          resolve();
        };
        const check = () => {
          if (allAcknowledged()) done();
        };
        const timeout = setTimeout(done, Math.max(0, deadline - Date.now()));
        set.add(check);
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
