import pg from "pg";

/**
 * Calls `onEvent` whenever a transaction that wrote events commits (the `events_notify`
 * trigger). Reconnects after a lost connection; answers a function that stops listening.
 */
export const listenForEvents = (
  databaseUrl: string,
  onEvent: () => void,
  onError: (error: Error) => void = () => {},
): (() => Promise<void>) => {
  let client: pg.Client | null = null;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  const connect = async () => {
    if (stopped) return;
    const c = new pg.Client({ connectionString: databaseUrl, application_name: "admit-worker-events" });
    c.on("notification", () => onEvent());
    c.on("error", (error) => {
      onError(error);
      c.end().catch(() => {});
      if (client === c) client = null;
      if (!stopped) retry = setTimeout(connect, 1000);
    });
    try {
      await c.connect();
      await c.query("listen admit_events");
      client = c;
      if (stopped) await c.end();
      // Anything written while not listening is picked up now.
      else onEvent();
    } catch (error) {
      onError(error as Error);
      await c.end().catch(() => {});
      if (!stopped) retry = setTimeout(connect, 1000);
    }
  };
  void connect();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    await client?.end().catch(() => {});
  };
};
