/**
 * Who may call a procedure; read by the generated reference (docs/reference.md). In a file of its
 * own because the router's published type names it, and nothing else of the server may follow.
 */
export interface ProcedureMeta {
  readonly access?: "public" | "principal" | "key";
}
