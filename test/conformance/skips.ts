/**
 * Conformance cases the runner does not hold a codec to, each with the reason. Keyed by vector
 * file, then case id (ids are unique within a file); the description is repeated so the list
 * reads on its own.
 */

export interface SkipEntry {
  description: string;
  reason: string;
}

export const SKIPS: Record<string, Record<string, SkipEntry>> = {
  "input/rest-json.json": {
    RestJsonQueryPrecedence: {
      description: "Prefer named query parameters when serializing",
      reason:
        "Client-only: a client drops map entries that collide with named query members, so the " +
        "params hold map values that never reach the wire; a server puts every query parameter " +
        "in the httpQueryParams map (Smithy's RestJsonServersPutAllQueryParamsInMap), which the " +
        "AllQueryStringTypes cases check.",
    },
    RestJsonQueryParamsStringListMap: {
      description: "Serialize query params from map of list strings",
      reason:
        "Client-only, as RestJsonQueryPrecedence: the server's map also holds the parameter " +
        "bound to the named member (corge), which the client-side params leave out.",
    },
  },
};

/**
 * Cases whose request URI cannot name the operation, so the runner falls back to the case's
 * operation after the router (correctly) finds none. Counted and printed.
 */
export const UNROUTABLE: Record<string, Record<string, SkipEntry>> = {};

/**
 * Output cases botocore 1.29 cannot read back faithfully; the runner compares the codec's
 * response with the vector's response instead (headers byte for byte, bodies decoded).
 */
export const STRUCTURAL: Record<string, Record<string, SkipEntry>> = {};
