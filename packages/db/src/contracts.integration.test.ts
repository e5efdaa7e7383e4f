import { Contracts } from "@admit/domain/testing";
import { afterAll, beforeAll, inject } from "vitest";
import { layer } from "./layer.ts";
import { initOrm, type Orm } from "./orm.ts";

let orm: Orm;
beforeAll(async () => {
  orm = await initOrm({ databaseUrl: inject("databaseUrl") });
});
afterAll(() => orm.close());

Contracts.portContracts({ name: "PostgreSQL", layer: () => layer(orm, { tokenKey: "k".repeat(32) }) });
