import { Effect, Layer } from "effect";
import { IdGenerator } from "../../shared/IdGenerator.ts";
import { UserRepository } from "../../users/UserRepository.ts";
import { normalizedEmail, read, Store, type UserRow, userView, withNames, write } from "./Store.ts";

export const UserRepositoryTest = Layer.effect(
  UserRepository,
  Effect.gen(function* () {
    const store = yield* Store;
    const ids = yield* IdGenerator;
    const r = read(store);
    const w = write(store);
    return UserRepository.of({
      findOrCreate: (user) =>
        Effect.flatMap(ids.next, (newId) =>
          w<{ readonly id: string; readonly created: boolean }>("UserRepository.findOrCreate", (s, at) => {
            const email = normalizedEmail(user.email);
            const existing = s.users.find((u) => u.email === email);
            if (existing) return [{ id: existing.id, created: false }, withNames(s, existing, user)];
            const created: UserRow = {
              id: newId,
              email,
              firstName: user.firstName,
              lastName: user.lastName,
              emailVerified: false,
              createdAt: at,
            };
            return [
              { id: newId, created: true },
              { ...s, users: [...s.users, created] },
            ];
          }),
        ),
      findIdByEmail: (email) =>
        r("UserRepository.findIdByEmail", (s) => s.users.find((u) => u.email === email)?.id ?? null),
      findOrCreateVerified: (user) =>
        Effect.flatMap(ids.next, (newId) =>
          w<{ readonly id: string }>("UserRepository.findOrCreateVerified", (s, at) => {
            const email = normalizedEmail(user.email);
            const existing = s.users.find((u) => u.email === email);
            if (existing) {
              const verified = { ...existing, emailVerified: true };
              const next = { ...s, users: s.users.map((u) => (u.id === existing.id ? verified : u)) };
              return [{ id: existing.id }, withNames(next, verified, user)];
            }
            const created: UserRow = {
              id: newId,
              email,
              firstName: user.firstName,
              lastName: user.lastName,
              emailVerified: true,
              createdAt: at,
            };
            return [{ id: newId }, { ...s, users: [...s.users, created] }];
          }),
        ),
      get: (id) =>
        r("UserRepository.get", (s) => {
          const user = s.users.find((u) => u.id === id);
          return user ? userView(user) : null;
        }),
      // Row locks are not modelled: transactions already run one at a time.
      lock: () => r("UserRepository.lock", () => undefined),
      findOrCreateMany: (emails) =>
        Effect.flatMap(
          Effect.forEach(emails, () => ids.next),
          (newIds) =>
            w("UserRepository.findOrCreateMany", (s, at) => {
              // One upsert statement cannot touch a row twice: duplicates are the caller's bug.
              if (new Set(emails).size !== emails.length)
                throw new Error("users: one statement upserts an email twice");
              let users = s.users;
              const found = emails.map((raw, i) => {
                const email = normalizedEmail(raw);
                const existing = users.find((u) => u.email === email);
                if (existing) return { id: existing.id, email };
                const id = newIds[i] as string;
                users = [...users, { id, email, firstName: null, lastName: null, emailVerified: false, createdAt: at }];
                return { id, email };
              });
              return [found, { ...s, users }];
            }),
        ),
    });
  }),
);
