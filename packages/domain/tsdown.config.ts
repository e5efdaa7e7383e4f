import { defineConfig } from "tsdown";
import { publishedBuild } from "../../tsdown.base.ts";

/** The published build (see tsdown.base.ts); `effect` stays a dependency. */
export default defineConfig(publishedBuild());
