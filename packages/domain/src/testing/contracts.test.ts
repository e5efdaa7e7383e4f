import { portContracts } from "./contracts/index.ts";
import * as InMemory from "./InMemory.ts";

portContracts({ name: "in memory", layer: () => InMemory.layerTest });
