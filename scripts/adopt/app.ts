// An app in another repository, as its author would write it: only `@admit/client`,
// `@admit/domain` and `@trpc/client` installed from the registry, an ordinary strict tsconfig.
import { type AdmitClient, type AppRouter, createAdmitClient, type RouterInputs, TRPCClientError } from "@admit/client";
import { parseEmail, ROLES, type Role } from "@admit/domain";

const url = process.env.ADMIT_URL ?? "http://localhost:3000";
const apiKey = process.env.ADMIT_KEY ?? "";

const check = (ok: boolean, what: string) => {
  console.log(`${ok ? "ok" : "FAILED"}: ${what}`);
  if (!ok) process.exitCode = 1;
};

// The domain's rules, shared with the service: the same email rule, the same roles.
const parsed = parseEmail("  Ann@Example.COM ");
check(parsed.ok && parsed.email === "ann@example.com", "the domain's parseEmail normalises an address");
const role: Role = ROLES.includes("edit") ? "edit" : "read";

const admit: AdmitClient = createAdmitClient({ url, apiKey });

// Inputs and outputs are typed from the router: these lines do not compile if they are wrong.
const input: RouterInputs["invites"]["create"] = {
  method: "email",
  email: "ann@example.com",
  role,
  organizationId: "00000000-0000-4000-8000-000000000000",
};
void input;
// @ts-expect-error `owner` is not a role
const wrongRole: RouterInputs["invites"]["create"] = { email: "ann@example.com", role: "owner" };
void wrongRole;

const organization = await admit.organizations.create.mutate({ name: "Adopted from outside" });
const created = await admit.invites.create.mutate({
  organizationId: organization.id,
  method: "email",
  email: `ann.${Date.now()}@example.com`,
  role,
});
// A direct invite answers `userId`, an email invite `inviteId`: the answer is a union.
const inviteId = "inviteId" in created ? created.inviteId : undefined;
check(created.success && typeof inviteId === "string", "invites.create answers an invite id");

if (inviteId) {
  const invite = await admit.invites.get.query({ inviteId });
  const status: string = invite.status;
  check(status === "pending", `invites.get reads the invite back (status ${status})`);
}

try {
  await admit.invites.create.mutate({ organizationId: organization.id, email: "not an email" });
  check(false, "a refused invite is refused");
} catch (error) {
  if (!(error instanceof TRPCClientError)) throw error;
  const { data } = error as TRPCClientError<AppRouter>;
  const fieldErrors: Readonly<Record<string, ReadonlyArray<string>>> | undefined = data?.fieldErrors;
  check(
    data?.reason === "invalid_input" && (fieldErrors?.email?.length ?? 0) > 0,
    `a refused invite names its field: ${JSON.stringify(fieldErrors)}`,
  );
}
