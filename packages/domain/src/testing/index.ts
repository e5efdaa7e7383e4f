export * as Contracts from "./contracts/index.ts";
export * as InMemory from "./InMemory.ts";
export * as Principals from "./Principals.ts";
