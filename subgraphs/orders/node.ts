import { defineNodeInterface } from "../kernel/types";

/** This subgraph's own Node interface (see defineNodeInterface). */
export const Node = defineNodeInterface();
export type Node = InstanceType<typeof Node>;
