/**
 * The AWS service model, in the JSON format AWS publishes for its SDKs (the format of
 * `aws-sdk` v2's `apis/*.min.json`, of botocore's `service-2.json`, and of the `shapes` in the
 * protocol conformance vectors). Everything on the wire is derived from these shapes.
 */

export type ProtocolName = "query" | "ec2" | "json" | "rest-json" | "rest-xml" | "smithy-rpc-v2-cbor";

export interface ServiceMetadata {
  apiVersion?: string;
  endpointPrefix?: string;
  signingName?: string;
  protocol: ProtocolName;
  /** Every protocol the service accepts; the first is the one it prefers. */
  protocols?: ProtocolName[];
  jsonVersion?: string;
  targetPrefix?: string;
  xmlNamespace?: string;
  serviceId?: string;
  serviceFullName?: string;
  globalEndpoint?: string;
  /** Present (as `{}`) when a JSON/CBOR service keeps the error codes of its old query API. */
  awsQueryCompatible?: Record<string, unknown>;
  uid?: string;
  [k: string]: unknown;
}

export type Location = "uri" | "querystring" | "header" | "headers" | "statusCode";

export interface ShapeRef {
  shape: string;
  location?: Location;
  locationName?: string;
  queryName?: string;
  /** The member's element / parameter name in the query protocol and XML, when it differs from the JSON name (SQS). */
  xmlName?: string;
  jsonvalue?: boolean;
  xmlNamespace?: { prefix?: string; uri: string };
  xmlAttribute?: boolean;
  flattened?: boolean;
  streaming?: boolean;
  idempotencyToken?: boolean;
  hostLabel?: boolean;
  timestampFormat?: TimestampFormat;
  eventpayload?: boolean;
  eventheader?: boolean;
  contextParam?: unknown;
  deprecated?: boolean;
  documentation?: string;
  [k: string]: unknown;
}

export type TimestampFormat = "iso8601" | "rfc822" | "unixTimestamp";

export type ShapeType =
  | "structure"
  | "list"
  | "map"
  | "string"
  | "integer"
  | "long"
  | "float"
  | "double"
  | "boolean"
  | "timestamp"
  | "blob"
  | "byte"
  | "short"
  | "bigdecimal"
  | "biginteger"
  | "document"
  | "union";

export interface Shape {
  type: ShapeType;
  // structure
  members?: Record<string, ShapeRef>;
  required?: string[];
  payload?: string;
  exception?: boolean;
  error?: { code?: string; httpStatusCode?: number; senderFault?: boolean };
  fault?: boolean;
  union?: boolean;
  document?: boolean;
  event?: boolean;
  eventstream?: boolean;
  // list
  member?: ShapeRef;
  flattened?: boolean;
  // map
  key?: ShapeRef;
  value?: ShapeRef;
  // scalars
  enum?: string[];
  min?: number;
  max?: number;
  pattern?: string;
  timestampFormat?: TimestampFormat;
  sensitive?: boolean;
  streaming?: boolean;
  requiresLength?: boolean;
  locationName?: string;
  xmlNamespace?: { prefix?: string; uri: string };
  box?: boolean;
  [k: string]: unknown;
}

export interface HttpBinding {
  method?: string;
  requestUri?: string;
  responseCode?: number;
}

export interface OperationModel {
  name: string;
  http?: HttpBinding;
  input?: ShapeRef & { locationName?: string; xmlNamespace?: { uri: string } };
  output?: ShapeRef & { resultWrapper?: string };
  errors?: ShapeRef[];
  endpoint?: { hostPrefix?: string };
  httpChecksum?: Record<string, unknown>;
  authtype?: string;
  auth?: string[];
  deprecated?: boolean;
  [k: string]: unknown;
}

export interface ServiceModel {
  metadata: ServiceMetadata;
  operations: Record<string, OperationModel>;
  shapes: Record<string, Shape>;
}

/** Resolve a member reference to its shape, or throw if the model is inconsistent. */
export function shapeOf(model: ServiceModel, ref: ShapeRef | string): Shape {
  const name = typeof ref === "string" ? ref : ref.shape;
  const shape = model.shapes[name];
  if (!shape) throw new Error(`model has no shape named ${name}`);
  return shape;
}
