/**
 * Whether `pg` can use this as a connection string: `postgres://` or `postgresql://`, parsed the way
 * pg-connection-string parses it (spaces and stray `%` encoded first, then a URL, or a URL with a
 * placeholder host for `postgres://user@/db?host=/socket`). A URL that passes the scheme but not the
 * parse (a port of 99999, a port that is not a number) would otherwise fail at the first connection,
 * after the process has started, with a stack trace instead of the variable's name.
 */
export const isPostgresUrl = (raw: string): boolean => {
  if (!/^postgres(ql)?:\/\//.test(raw)) return false;
  const str = /( |%[^a-f0-9]|%[a-f0-9][^a-f0-9])/i.test(raw) ? encodeURI(raw).replace(/%25(\d\d)/g, "%$1") : raw;
  return URL.canParse(str, "postgres://base") || URL.canParse(str.replace("@/", "@___DUMMY___/"), "postgres://base");
};
