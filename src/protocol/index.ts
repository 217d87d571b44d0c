/** The wire codecs, one per AWS protocol, keyed by the protocol names of the service models. */
import type { ProtocolName } from "./model.js";
import type { ProtocolCodec } from "./types.js";
import { jsonCodec } from "./json.js";
import { restJsonCodec } from "./rest-json.js";
import { query } from "./query.js";
import { ec2 } from "./ec2.js";
import { restXml } from "./rest-xml.js";

export const codecs: Partial<Record<ProtocolName, ProtocolCodec>> = {
  json: jsonCodec,
  "rest-json": restJsonCodec,
  query,
  ec2,
  "rest-xml": restXml,
};
