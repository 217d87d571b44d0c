/**
 * Conformance cases the runner treats specially, each with the reason. Keyed by vector file,
 * then case id (ids are unique within a file); the description is repeated so that the lists
 * read on their own.
 */

export interface SkipEntry {
  description: string;
  reason: string;
}

const COMPRESSED_BODY_LEFT_OUT =
  "The vector checks only the client's Content-Encoding header: it leaves out the gzip-compressed " +
  "body (and with it the operation's identity for RPC protocols), so a server has nothing to parse. " +
  "Decompression itself is covered by the codecs (gzip bodies are inflated before parsing).";

function compression(ids: string[]): Record<string, SkipEntry> {
  const out: Record<string, SkipEntry> = {};
  for (const id of ids) {
    out[id] = {
      description: "Compression algorithm encoding is appended to the Content-Encoding header.",
      reason: COMPRESSED_BODY_LEFT_OUT,
    };
  }
  return out;
}

/** Cases not run at all. */
export const SKIPS: Record<string, Record<string, SkipEntry>> = {
  "input/json.json": compression(["SDKAppliedContentEncoding_awsJson1_1", "SDKAppendsGzipAndIgnoresHttpProvidedEncoding_awsJson1_1"]),
  "input/json_1_0.json": compression(["SDKAppliedContentEncoding_awsJson1_0", "SDKAppendsGzipAndIgnoresHttpProvidedEncoding_awsJson1_0"]),
  "input/rest-json.json": compression(["SDKAppliedContentEncoding_restJson1", "SDKAppendedGzipAfterProvidedEncoding_restJson1"]),
  "input/rest-xml.json": compression(["SDKAppliedContentEncoding_restXml", "SDKAppendedGzipAfterProvidedEncoding_restXml"]),
  "input/query.json": compression(["SDKAppliedContentEncoding_awsQuery", "SDKAppendsGzipAndIgnoresHttpProvidedEncoding_awsQuery"]),
  "input/ec2.json": compression(["SDKAppliedContentEncoding_ec2Query", "SDKAppendsGzipAndIgnoresHttpProvidedEncoding_ec2Query"]),
};

const NO_TARGET =
  "The vector checks only the client's host prefix and sends no X-Amz-Target header, so nothing in " +
  "the request names the operation.";

/**
 * Cases whose request cannot name the operation, so the runner falls back to the case's
 * operation after the router (correctly) finds none. Counted and printed.
 */
export const UNROUTABLE: Record<string, Record<string, SkipEntry>> = {
  "input/json_1_0.json": {
    AwsJson10EndpointTrait: {
      description: "Operations can prepend to the given host if they define the endpoint trait.",
      reason: NO_TARGET,
    },
    AwsJson10EndpointTraitWithHostLabel: {
      description: "Operations can prepend to the given host ... and can use the host label trait",
      reason: NO_TARGET,
    },
    AwsJson10HostWithPath: { description: "Custom endpoints supplied by users can have paths", reason: NO_TARGET },
  },
  "input/rest-json.json": {
    RestJsonHostWithPath: {
      description: "Custom endpoints supplied by users can have paths",
      reason:
        "The client's custom endpoint puts the path under /custom, which is not part of the " +
        "operation's requestUri; a server mounted at the root cannot route it.",
    },
  },
};

const BOTOCORE_HEADER_LISTS =
  "botocore 1.29 splits a list header on every comma, so quoted items and HTTP dates (which hold " +
  "a comma) come back in pieces; compared with the vector's header bytes instead.";
const BOTOCORE_HEADER_SCALARS =
  "botocore 1.29 leaves float and boolean header values as strings; compared with the vector's " +
  "header bytes instead.";
const BOTOCORE_EMPTY_UNION =
  "botocore 1.29 rejects an empty body for a union payload, which is what the vector itself " +
  "sends; compared with the vector's response instead.";
const BOTOCORE_UNION_JSON_NAME =
  "botocore 1.29 reads union members by member name, ignoring their JSON name (locationName); " +
  "compared with the vector's body instead.";
const BOTOCORE_FLATTENED =
  "botocore 1.29 looks for a flattened list's items under the list member's name rather than " +
  "the structure member's, so it cannot read the vector's own response; compared with the " +
  "vector's XML instead.";
const BOTOCORE_LOCATED_BODY_MEMBER =
  "The output member is bound to the URI (meaningful on requests only) and so belongs in the " +
  "body; botocore 1.29 skips any member with a location. Compared with the vector's XML instead.";
const BOTOCORE_ROOT_NAME =
  "botocore 1.29 cannot read a body whose root element is renamed with xmlName (it fails on the " +
  "vector's own response); compared with the vector's XML instead.";
const PREFIX_EVERYTHING =
  "The prefix-header map has the empty prefix, so it binds every response header, including the " +
  "x-amzn-requestid any real response carries; compared with the vector's headers instead.";

/**
 * Output cases botocore 1.29 cannot read back faithfully; the runner compares the codec's
 * response with the vector's response instead (the vector's headers byte for byte, JSON bodies
 * by value, other bodies byte for byte).
 */
export const STRUCTURAL: Record<string, Record<string, SkipEntry>> = {
  "output/rest-json.json": {
    RestJsonInputAndOutputWithQuotedStringHeaders: {
      description: "Tests responses with string list header bindings that require quoting",
      reason: BOTOCORE_HEADER_LISTS,
    },
    RestJsonInputAndOutputWithTimestampHeaders: {
      description: "Tests responses with timestamp header bindings",
      reason: BOTOCORE_HEADER_LISTS,
    },
    RestJsonInputAndOutputWithNumericHeaders: {
      description: "Tests responses with numeric header bindings",
      reason: BOTOCORE_HEADER_SCALARS,
    },
    RestJsonInputAndOutputWithBooleanHeaders: {
      description: "Tests responses with boolean header bindings",
      reason: BOTOCORE_HEADER_SCALARS,
    },
    RestJsonHttpPayloadWithUnsetUnion: {
      description: "No payload is sent if the union has no value.",
      reason: BOTOCORE_EMPTY_UNION,
    },
    PostUnionWithJsonNameResponse1: { description: "Tests that jsonName works with union members.", reason: BOTOCORE_UNION_JSON_NAME },
    PostUnionWithJsonNameResponse2: { description: "Tests that jsonName works with union members.", reason: BOTOCORE_UNION_JSON_NAME },
    HttpPrefixHeadersResponse: { description: "(de)serializes all response headers", reason: PREFIX_EVERYTHING },
  },
  "output/ec2.json": {
    Ec2XmlLists: { description: "Tests for XML list serialization", reason: BOTOCORE_FLATTENED },
  },
  "output/query.json": {
    QueryXmlLists: { description: "Tests for XML list serialization", reason: BOTOCORE_FLATTENED },
  },
  "output/rest-xml.json": {
    XmlLists: { description: "Tests for XML list serialization", reason: BOTOCORE_FLATTENED },
    BodyWithXmlName: { description: "Serializes a payload using a wrapper name based on the xmlName", reason: BOTOCORE_ROOT_NAME },
    IgnoreQueryParamsInResponse: {
      description: "Query parameters must be ignored when serializing the output of an operation",
      reason: BOTOCORE_LOCATED_BODY_MEMBER,
    },
    InputAndOutputWithTimestampHeaders: {
      description: "Tests responses with timestamp header bindings",
      reason: BOTOCORE_HEADER_LISTS,
    },
    RestXmlHttpPayloadWithUnsetUnion: {
      description: "No payload is sent if the union has no value.",
      reason: BOTOCORE_EMPTY_UNION,
    },
  },
};
