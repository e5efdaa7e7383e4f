import { migrate } from "./orm.ts";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error(
    "DATABASE_URL is required: the PostgreSQL server to migrate (pnpm dev migrates its embedded one itself).",
  );
  process.exit(1);
}
await migrate(url);
console.log("migrations applied");
