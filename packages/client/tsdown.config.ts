import { defineConfig } from "tsdown";
import { publishedBuild } from "../../tsdown.base.ts";

/**
 * The published build (see tsdown.base.ts), with one declaration file that inlines the router's
 * types (from `@admit/api`) and the domain types its answers use, so an app needs only this
 * package and `@trpc/client`.
 */
export default defineConfig({
  ...publishedBuild(),
  deps: {
    neverBundle: [/^@trpc\//, "@admit/db"],
    alwaysBundle: ["@admit/api", "@admit/domain"],
    // effect: the domain types of the answers refer to a few of its types, inlined here.
    onlyBundle: false,
  },
});
