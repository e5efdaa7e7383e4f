import { UserTokenRepository } from "../../users/UserTokenRepository.ts";
import { storeAdapter, userView } from "./Store.ts";

export const UserTokenRepositoryTest = storeAdapter(UserTokenRepository, ({ r, w }) =>
  UserTokenRepository.of({
    create: (token) =>
      w("UserTokenRepository.create", (s) => {
        if (!s.users.some((u) => u.id === token.userId))
          throw new Error(`user_tokens.user_id: no user ${token.userId}`);
        if (s.userTokens.some((t) => t.tokenHash === token.tokenHash))
          throw new Error("user_tokens.token_hash: duplicate");
        return [undefined, { ...s, userTokens: [...s.userTokens, { ...token }] }];
      }),
    findUser: (tokenHash, now) =>
      r("UserTokenRepository.findUser", (s) => {
        const token = s.userTokens.find((t) => t.tokenHash === tokenHash && t.expiresAt.getTime() > now.getTime());
        const user = token && s.users.find((u) => u.id === token.userId);
        return user ? userView(user) : null;
      }),
  }),
);
