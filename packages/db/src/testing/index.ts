export { default as globalSetup } from "./globalSetup.ts";
