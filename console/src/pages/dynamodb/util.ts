import type { KeySchemaElement } from "@aws-sdk/client-dynamodb";

export function keyOf(schema: KeySchemaElement[] | undefined, type: "HASH" | "RANGE"): string | undefined {
  return schema?.find((k) => k.KeyType === type)?.AttributeName;
}

/** Fields side by side, wrapping on narrow screens. */
export const rowStyle = { display: "flex", flexWrap: "wrap", gap: "0 16px", alignItems: "flex-start" } as const;
