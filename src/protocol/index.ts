/** The registry of wire codecs, by protocol name; the gateway picks one per service model. */
import { cborCodec } from "./cbor.js";
import { ec2 } from "./ec2.js";
import { jsonCodec } from "./json.js";
import type { ProtocolName } from "./model.js";
import { query } from "./query.js";
import { restJsonCodec } from "./rest-json.js";
import { restXml } from "./rest-xml.js";
import type { ProtocolCodec } from "./types.js";

export const codecs: Partial<Record<ProtocolName, ProtocolCodec>> = {
  json: jsonCodec,
  "rest-json": restJsonCodec,
  "smithy-rpc-v2-cbor": cborCodec,
  query,
  ec2,
  "rest-xml": restXml,
};
