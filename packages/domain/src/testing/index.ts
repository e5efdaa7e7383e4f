export * as InMemory from "./InMemory.ts";
export * as Principals from "./Principals.ts";
