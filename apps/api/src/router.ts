import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { apiKeysRouter } from "./routers/apiKeys/router.ts";
import { auditRouter } from "./routers/audit/router.ts";
import { groupsRouter } from "./routers/groups/router.ts";
import { invitesRouter } from "./routers/invites/router.ts";
import { linkInvitesRouter } from "./routers/linkInvites/router.ts";
import { membersRouter } from "./routers/members/router.ts";
import { organizationsRouter } from "./routers/organizations/router.ts";
import { usersRouter } from "./routers/users/router.ts";
import { webhooksRouter } from "./routers/webhooks/router.ts";
import { websitesRouter } from "./routers/websites/router.ts";
import { router } from "./trpc.ts";

export const appRouter = router({
  invites: invitesRouter,
  organizations: organizationsRouter,
  websites: websitesRouter,
  groups: groupsRouter,
  members: membersRouter,
  apiKeys: apiKeysRouter,
  users: usersRouter,
  linkInvites: linkInvitesRouter,
  audit: auditRouter,
  webhooks: webhooksRouter,
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
